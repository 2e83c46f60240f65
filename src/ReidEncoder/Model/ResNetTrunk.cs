using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>The CNN trunks the encoder can use.</summary>
public enum TrunkKind
{
    /// <summary>ResNet-18 as published with ImageNet weights in Microsoft.ML.DnnImageFeaturizer.ResNet18 (its last
    /// stage has 3 blocks): 512 channels at stride 32 (8 x 4 cells for a 256 x 128 crop).</summary>
    ResNet18,

    /// <summary>ResNet-50: 2048 channels at stride 32, as in the DRSA paper (res5c).</summary>
    ResNet50,
}

/// <summary>
/// A ResNet up to its last convolutional stage (no pooling, no classifier): images [M, 3, H, W] in, feature
/// maps [M, C, H/32, W/32] out. Field names follow torchvision so state-dict keys read the usual way.
/// </summary>
public sealed class ResNetTrunk : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <summary>Builds a trunk with torchvision's default initialisation (seed the global generator to repeat it).</summary>
    /// <param name="lastStride">The last stage's stride: 2 as published, or 1 (Luo et al. 2019's "last stride 1":
    /// maps twice as fine each way, 16 x 8 cells for a 256 x 128 crop, for about four times the last stage's work).</param>
    public ResNetTrunk(TrunkKind kind, int lastStride = 2) : base($"ResNetTrunk_{kind}")
    {
        if (lastStride is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(lastStride), lastStride, "the last stage's stride is 1 or 2.");
        Kind = kind;
        LastStride = lastStride;
        bool bottleneck = kind == TrunkKind.ResNet50;
        int[] blocks = kind switch
        {
            // The ImageNet network of Microsoft.ML.DnnImageFeaturizer.ResNet18 (a CNTK export) has three basic
            // blocks in its last stage, not torchvision's two; the trunk follows it so that those weights fit.
            TrunkKind.ResNet18 => [2, 2, 2, 3],
            TrunkKind.ResNet50 => [3, 4, 6, 3],
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown trunk"),
        };
        int expansion = bottleneck ? 4 : 1;
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64);
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        long inChannels = 64;
        layer1 = MakeLayer(ref inChannels, 64, blocks[0], 1, bottleneck, expansion);
        layer2 = MakeLayer(ref inChannels, 128, blocks[1], 2, bottleneck, expansion);
        layer3 = MakeLayer(ref inChannels, 256, blocks[2], 2, bottleneck, expansion);
        layer4 = MakeLayer(ref inChannels, 512, blocks[3], lastStride, bottleneck, expansion);
        Channels = (int)inChannels;
        RegisterComponents();
        foreach (var (_, m) in named_modules())
        {
            if (m is Conv2d c)
            {
                nn.init.kaiming_normal_(c.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            }
        }
    }

    /// <summary>Which ResNet this is.</summary>
    public TrunkKind Kind { get; }

    /// <summary>Channels of the output feature map (512 or 2048).</summary>
    public int Channels { get; }

    /// <summary>The published trunk's down-sampling factor: a 256 x 128 crop gives an 8 x 4 map.</summary>
    public const int Stride = 32;

    /// <summary>The last stage's stride (1 or 2).</summary>
    public int LastStride { get; }

    /// <summary>This trunk's down-sampling factor: 32, or 16 with a last stride of 1.</summary>
    public int OutputStride => Stride / 2 * LastStride;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.forward(nn.functional.relu(bn1.forward(conv1.forward(input))));
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return x.MoveToOuterDisposeScope();
    }

    internal Conv2d Conv1 => conv1;

    internal BatchNorm2d Bn1 => bn1;

    internal IEnumerable<Sequential> Layers => [layer1, layer2, layer3, layer4];

    /// <summary>Residual blocks over all stages (9 for this ResNet-18, 16 for ResNet-50).</summary>
    public int BlockCount => Blocks.Count;

    /// <summary>
    /// The value of a tail length that means the whole trunk, stem included: its prefix is the identity and the
    /// preprocessed images themselves are what a feature cache keeps.
    /// </summary>
    public int WholeTrunk => BlockCount + 1;

    /// <summary>
    /// The state-dict key prefixes (relative to the trunk, e.g. "layer4.1.") of the last <paramref name="tailBlocks"/>
    /// blocks; the whole trunk when it is <see cref="WholeTrunk"/>.
    /// </summary>
    public IReadOnlyList<string> TailKeyPrefixes(int tailBlocks)
    {
        CheckTail(tailBlocks);
        if (tailBlocks == WholeTrunk) return [""];
        return Blocks.Skip(BlockCount - tailBlocks).Select(b => b.Prefix).ToList();
    }

    /// <summary>The modules of the last <paramref name="tailBlocks"/> blocks (the stem too for <see cref="WholeTrunk"/>).</summary>
    public IReadOnlyList<nn.Module> TailModules(int tailBlocks)
    {
        CheckTail(tailBlocks);
        var modules = new List<nn.Module>();
        if (tailBlocks == WholeTrunk) modules.AddRange([conv1, bn1]);
        modules.AddRange(Blocks.Skip(BlockCount - Math.Min(tailBlocks, BlockCount)).Select(b => b.Block));
        return modules;
    }

    /// <summary>The trunk up to, not including, its last <paramref name="tailBlocks"/> blocks.</summary>
    public Tensor ForwardPrefix(Tensor input, int tailBlocks)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckTail(tailBlocks);
        if (tailBlocks == WholeTrunk) return input.alias();
        using var scope = NewDisposeScope();
        var x = maxpool.forward(nn.functional.relu(bn1.forward(conv1.forward(input))));
        foreach (var entry in Blocks.Take(BlockCount - tailBlocks)) x = entry.Block.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The last <paramref name="tailBlocks"/> blocks on the output of <see cref="ForwardPrefix"/>.</summary>
    public Tensor ForwardTail(Tensor prefix, int tailBlocks)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        CheckTail(tailBlocks);
        if (tailBlocks == WholeTrunk) return forward(prefix);
        using var scope = NewDisposeScope();
        var x = prefix.alias();
        foreach (var entry in Blocks.Skip(BlockCount - tailBlocks)) x = entry.Block.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Channels and cells-per-side divisor of <see cref="ForwardPrefix"/>'s output (3 and 1 for the whole trunk).</summary>
    public (int Channels, int Stride) PrefixShape(int tailBlocks)
    {
        CheckTail(tailBlocks);
        if (tailBlocks == WholeTrunk) return (3, 1);
        if (tailBlocks == 0) return (Channels, OutputStride);
        var first = Blocks[BlockCount - tailBlocks];
        return (first.InChannels, first.InStride);
    }

    private void CheckTail(int tailBlocks)
    {
        if (tailBlocks < 0 || tailBlocks > WholeTrunk)
        {
            throw new ArgumentOutOfRangeException(nameof(tailBlocks), tailBlocks, $"a trunk tail is 0..{BlockCount} blocks, or {WholeTrunk} for the whole trunk.");
        }
    }

    private List<(string Prefix, nn.Module<Tensor, Tensor> Block, int InChannels, int InStride)> Blocks
    {
        get
        {
            if (blockList is not null) return blockList;
            var list = new List<(string, nn.Module<Tensor, Tensor>, int, int)>();
            int stage = 0, inChannels = 64, inStride = 4;
            foreach (var layer in Layers)
            {
                stage++;
                int index = 0;
                foreach (var child in layer.children())
                {
                    var block = (nn.Module<Tensor, Tensor>)child;
                    list.Add(($"layer{stage}.{index}.", block, inChannels, inStride));
                    index++;
                    int outChannels = block is BasicBlock basic ? (int)basic.Conv2.weight!.shape[0] : (int)((BottleneckBlock)block).OutChannels;
                    if (index == 1 && stage > 1) inStride *= stage == 4 ? LastStride : 2; // the first block of stages 2-4 down-samples
                    inChannels = outChannels;
                }
            }
            blockList = list;
            return list;
        }
    }

    private List<(string Prefix, nn.Module<Tensor, Tensor> Block, int InChannels, int InStride)>? blockList;

    private static Sequential MakeLayer(ref long inChannels, long width, int count, long stride, bool bottleneck, int expansion)
    {
        var list = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < count; i++)
        {
            long s = i == 0 ? stride : 1;
            nn.Module<Tensor, Tensor> block = bottleneck
                ? new BottleneckBlock($"bottleneck{i}", inChannels, width, s)
                : new BasicBlock($"basic{i}", inChannels, width, s);
            list.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), block));
            inChannels = width * expansion;
        }
        return nn.Sequential(list);
    }
}

/// <summary>ResNet-18/34 block: two 3x3 convolutions and a shortcut.</summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public BasicBlock(string name, long inChannels, long width, long stride) : base(name)
    {
        conv1 = nn.Conv2d(inChannels, width, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        conv2 = nn.Conv2d(width, width, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width);
        if (stride != 1 || inChannels != width)
        {
            downsample = nn.Sequential(
                ("0", nn.Conv2d(inChannels, width, 1, stride: stride, bias: false)),
                ("1", nn.BatchNorm2d(width)));
        }
        RegisterComponents();
    }

    internal Conv2d Conv1 => conv1;

    internal BatchNorm2d Bn1 => bn1;

    internal Conv2d Conv2 => conv2;

    internal BatchNorm2d Bn2 => bn2;

    internal Sequential? Downsample => downsample;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.relu(bn1.forward(conv1.forward(input)));
        y = bn2.forward(conv2.forward(y));
        var shortcut = downsample is null ? input : downsample.forward(input);
        return nn.functional.relu(y.add_(shortcut)).MoveToOuterDisposeScope();
    }
}

/// <summary>ResNet-50 block (torchvision v1.5: the stride sits on the 3x3 convolution).</summary>
internal sealed class BottleneckBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    public BottleneckBlock(string name, long inChannels, long width, long stride) : base(name)
    {
        long outChannels = width * 4;
        conv1 = nn.Conv2d(inChannels, width, 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        conv2 = nn.Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width);
        conv3 = nn.Conv2d(width, outChannels, 1, bias: false);
        bn3 = nn.BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
        {
            downsample = nn.Sequential(
                ("0", nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)),
                ("1", nn.BatchNorm2d(outChannels)));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.relu(bn1.forward(conv1.forward(input)));
        y = nn.functional.relu(bn2.forward(conv2.forward(y)));
        y = bn3.forward(conv3.forward(y));
        var shortcut = downsample is null ? input : downsample.forward(input);
        return nn.functional.relu(y.add_(shortcut)).MoveToOuterDisposeScope();
    }

    internal long OutChannels => conv3.weight!.shape[0];
}
