using ReId.ReidEncoder;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>
/// What training updates: the DRSA head, and optionally the trunk's last <see cref="TailBlocks"/> residual blocks
/// (the DRSA paper's "+Ind" fine-tuning; the whole trunk when it is the trunk's <see cref="ResNetTrunk.WholeTrunk"/>).
/// Its input is what the feature cache holds: the maps those blocks read, or the trunk's output when only the head
/// trains. The modules stay owned by the model they come from.
/// </summary>
public sealed class TrainableEncoder
{
    private readonly ResNetTrunk? _trunk;
    private readonly IReadOnlyList<nn.Module> _tail;

    public TrainableEncoder(DrsaHead head, ResNetTrunk? trunk = null, int tailBlocks = 0)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (tailBlocks > 0 && trunk is null) throw new ArgumentException("fine-tuning trunk blocks needs the trunk.", nameof(trunk));
        Head = head;
        _trunk = tailBlocks > 0 ? trunk : null;
        TailBlocks = tailBlocks;
        _tail = _trunk?.TailModules(tailBlocks) ?? [];
    }

    public DrsaHead Head { get; }

    public DrsaConfig Config => Head.Config;

    /// <summary>Trunk blocks trained with the head (0: the head alone).</summary>
    public int TailBlocks { get; }

    /// <summary>The trunk's trained parameters with their state-dict names ("trunk.layer4.2.conv1.weight").</summary>
    public IEnumerable<(string Name, Parameter Parameter)> TrunkParameters()
    {
        if (_trunk is null) yield break;
        var prefixes = _trunk.TailKeyPrefixes(TailBlocks);
        foreach (var (name, p) in _trunk.named_parameters())
        {
            if (prefixes.Any(x => name.StartsWith(x, StringComparison.Ordinal))) yield return ("trunk." + name, p);
        }
    }

    /// <summary>cached maps [B, N, C, h, w] -> the head's output.</summary>
    public DrsaOutput Forward(Tensor cached)
    {
        ArgumentNullException.ThrowIfNull(cached);
        if (_trunk is null) return Head.forward(cached);
        using var scope = NewDisposeScope();
        var maps = TrunkMaps(cached);
        return Head.forward(maps).MoveToOuterDisposeScope();
    }

    /// <summary>cached maps [B, N, C, h, w] -> trunk output maps [B, N, C', h', w'] (the cache itself without a tail).</summary>
    public Tensor TrunkMaps(Tensor cached)
    {
        ArgumentNullException.ThrowIfNull(cached);
        if (_trunk is null) return cached.alias();
        long b = cached.shape[0], n = cached.shape[1];
        using var scope = NewDisposeScope();
        var maps = _trunk.ForwardTail(cached.reshape(b * n, cached.shape[2], cached.shape[3], cached.shape[4]), TailBlocks);
        return maps.reshape(b, n, maps.shape[1], maps.shape[2], maps.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>Training mode; a frozen trunk tail stays in evaluation mode, so its batch statistics do not move.</summary>
    public void Train(bool trunkToo = true)
    {
        Head.train();
        foreach (var m in _tail)
        {
            if (trunkToo) m.train();
            else m.eval();
        }
    }

    public void Eval()
    {
        Head.eval();
        foreach (var m in _tail) m.eval();
    }

    public void To(Device device)
    {
        Head.to(device);
        _trunk?.to(device);
    }

    /// <summary>The trained weights (head, then trunk tail), for checkpoints.</summary>
    public void Save(BinaryWriter writer)
    {
        Head.save(writer);
        foreach (var m in _tail) m.save(writer);
    }

    public void Load(BinaryReader reader)
    {
        Head.load(reader);
        foreach (var m in _tail) m.load(reader);
    }
}
