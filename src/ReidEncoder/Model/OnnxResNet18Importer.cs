using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>
/// Reads the CNTK-exported ResNet-18 ONNX graph into a <see cref="ResNetTrunk"/>. The graph lists, per
/// residual block, its 1x1 shortcut convolution (where there is one) before the two 3x3 convolutions; each Conv
/// feeds one BatchNormalization (scale, bias, mean, variance; epsilon 1e-5 as torch's). Its asymmetric
/// paddings (begin 1 or 3, end 0 or 2) sample the same windows as torch's symmetric ones on even input sizes.
/// </summary>
internal static class OnnxResNet18Importer
{
    public static void Load(string onnxPath, ResNetTrunk trunk)
    {
        if (trunk.Kind != TrunkKind.ResNet18) throw new ArgumentException($"the ONNX file holds a ResNet-18, not a {trunk.Kind}.");
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(onnxPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{onnxPath} is not a readable ONNX file: {e.Message}", e);
        }
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (i, n))).ToLookup(p => p.i, p => p.n, StringComparer.Ordinal);
        var convs = graph.Node.Where(n => n.OpType == "Conv").ToList();
        int expectedConvs = 1 + trunk.Layers.Sum(layer => layer.children().Sum(b => ((BasicBlock)b).Downsample is null ? 2 : 3));
        if (convs.Count != expectedConvs)
        {
            throw new InvalidDataException($"{onnxPath}: expected the {expectedConvs} convolutions of the trunk, found {convs.Count}.");
        }

        using var noGrad = no_grad();
        int next = 0;
        (NodeProto Conv, NodeProto Bn) Take()
        {
            var conv = convs[next++];
            var bn = consumers[conv.Output[0]].SingleOrDefault(n => n.OpType == "BatchNormalization")
                ?? throw new InvalidDataException($"{onnxPath}: convolution {conv.Name} is not followed by a batch normalisation.");
            return (conv, bn);
        }
        void CopyConvBn((NodeProto Conv, NodeProto Bn) pair, Conv2d conv, BatchNorm2d bn)
        {
            Copy(initializers, pair.Conv.Input[1], conv.weight!, onnxPath);
            Copy(initializers, pair.Bn.Input[1], bn.weight!, onnxPath);
            Copy(initializers, pair.Bn.Input[2], bn.bias!, onnxPath);
            Copy(initializers, pair.Bn.Input[3], bn.running_mean!, onnxPath);
            Copy(initializers, pair.Bn.Input[4], bn.running_var!, onnxPath);
        }

        CopyConvBn(Take(), trunk.Conv1, trunk.Bn1);
        foreach (var layer in trunk.Layers)
        {
            foreach (var module in layer.children())
            {
                var block = (BasicBlock)module;
                if (block.Downsample is { } down)
                {
                    var shortcut = Take();
                    var kernel = shortcut.Conv.Attribute.First(a => a.Name == "kernel_shape").Ints;
                    if (kernel.Count != 2 || kernel[0] != 1)
                    {
                        throw new InvalidDataException($"{onnxPath}: expected a 1x1 shortcut convolution at {shortcut.Conv.Name}.");
                    }
                    var children = down.children().ToList();
                    CopyConvBn(shortcut, (Conv2d)children[0], (BatchNorm2d)children[1]);
                }
                CopyConvBn(Take(), block.Conv1, block.Bn1);
                CopyConvBn(Take(), block.Conv2, block.Bn2);
            }
        }
    }

    /// <summary>The mean image [3, 224, 224] (BGR, 0-255 scale) that the preprocessing graph subtracts.</summary>
    public static float[] ReadMeanImage(string preprocessPath, out long[] shape)
    {
        using var stream = File.OpenRead(preprocessPath);
        var model = ModelProto.Parser.ParseFrom(stream);
        var mean = model.Graph.Initializer.FirstOrDefault(t => t.Name == "MeanImage")
            ?? throw new InvalidDataException($"{preprocessPath}: no MeanImage initializer.");
        shape = mean.Dims.ToArray();
        return Floats(mean);
    }

    private static void Copy(Dictionary<string, TensorProto> initializers, string name, Tensor target, string path)
    {
        if (!initializers.TryGetValue(name, out var proto)) throw new InvalidDataException($"{path}: missing initializer {name}.");
        var dims = proto.Dims.ToArray();
        if (!dims.SequenceEqual(target.shape))
        {
            throw new InvalidDataException(
                $"{path}: initializer {name} is [{string.Join(", ", dims)}], the trunk expects [{string.Join(", ", target.shape)}].");
        }
        using var source = tensor(Floats(proto), dims);
        target.copy_(source);
    }

    private static float[] Floats(TensorProto proto)
    {
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"initializer {proto.Name} is not float32 (type {proto.DataType}).");
        }
        if (proto.FloatData.Count > 0) return [.. proto.FloatData];
        var raw = proto.RawData.Span;
        var values = new float[raw.Length / sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
        return values;
    }
}
