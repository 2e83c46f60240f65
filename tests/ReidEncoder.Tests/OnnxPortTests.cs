using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace ReId.ReidEncoder.Tests;

public class OnnxPortTests
{
    [Test]
    public void ImageNetTrunk_OnARealImage_MatchesOnnxRuntimeOnTheOriginalFile()
    {
        TestData.IgnoreWithoutImageNetWeights();
        var folder = SharedData.Cuhk03Train;
        var crop = ImageDecoder.Load(Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).First());

        // The package's own pipeline: RGB planes 0-255 -> preprocessing graph (to BGR, minus the mean image) -> ResNet-18.
        var rgb = new DenseTensor<float>([1, 3, 224, 224]);
        var resized = Resize224(crop);
        for (int c = 0; c < 3; c++)
        {
            for (int p = 0; p < 224 * 224; p++) rgb.Buffer.Span[(c * 224 * 224) + p] = resized[(p * 3) + (2 - c)];
        }
        using var prep = new InferenceSession(ImageNetResNet18.PreprocessPath());
        using var prepared = prep.Run([NamedOnnxValue.CreateFromTensor("OriginalInput", rgb)]);
        var preprocessed = prepared.First().AsTensor<float>().ToArray();
        using var net = new InferenceSession(ImageNetResNet18.ModelPath());
        using var pooled = net.Run([NamedOnnxValue.CreateFromTensor("Input247", new DenseTensor<float>(preprocessed, [1, 3, 224, 224]))]);
        var expected = pooled.First().AsTensor<float>().ToArray();

        // Ours: CropPreprocessor with the full mean image (at 224 x 224 it applies exactly), trunk, global average.
        var mean = OnnxResNet18Importer.ReadMeanImage(ImageNetResNet18.PreprocessPath(), out _);
        var zeroMean = PixelNormalization.ImageNetResNet18 with { Mean = [0f, 0f, 0f] };
        using var scope = NewDisposeScope();
        var input = CropPreprocessor.ToTensor([new Crop(resized, 224, 224)], zeroMean, 224, 224) - tensor(mean, [1, 3, 224, 224]);
        Assert.That(input.data<float>().ToArray(), Is.EqualTo(preprocessed).Within(1e-4f), "pixel preprocessing differs from the package's graph");

        using var trunk = new ResNetTrunk(TrunkKind.ResNet18);
        OnnxResNet18Importer.Load(ImageNetResNet18.ModelPath(), trunk);
        trunk.eval();
        using var noGrad = no_grad();
        var actual = trunk.forward(input).mean([2, 3]).data<float>().ToArray();

        Assert.That(actual, Has.Length.EqualTo(512));
        double diff = Math.Sqrt(actual.Zip(expected, (a, b) => (double)(a - b) * (a - b)).Sum());
        double norm = Math.Sqrt(expected.Sum(v => (double)v * v));
        TestContext.Out.WriteLine($"pooled output, TorchSharp vs ONNX Runtime: relative error {diff / norm:E2}");
        Assert.That(diff / norm, Is.LessThan(1e-4), $"relative error {diff / norm:E2}");
    }

    [Test]
    public void ImageNetPixelNormalization_Means_AreTheMeanImageChannelMeans()
    {
        TestData.IgnoreWithoutImageNetWeights();
        var mean = OnnxResNet18Importer.ReadMeanImage(ImageNetResNet18.PreprocessPath(), out var shape);
        Assert.That(shape, Is.EqualTo(new long[] { 1, 3, 224, 224 }));
        int plane = 224 * 224;
        for (int c = 0; c < 3; c++)
        {
            double channelMean = mean.Skip(c * plane).Take(plane).Average(v => (double)v);
            Assert.That(PixelNormalization.ImageNetResNet18.Mean[c], Is.EqualTo(channelMean).Within(1e-3), $"channel {c} (BGR order)");
        }
    }

    private static byte[] Resize224(Crop crop)
    {
        using var src = OpenCvSharp.Mat.FromPixelData(crop.Height, crop.Width, OpenCvSharp.MatType.CV_8UC3, crop.Bgr.ToArray());
        using var dst = new OpenCvSharp.Mat();
        OpenCvSharp.Cv2.Resize(src, dst, new OpenCvSharp.Size(224, 224));
        var bytes = new byte[224 * 224 * 3];
        System.Runtime.InteropServices.Marshal.Copy(dst.Data, bytes, 0, bytes.Length);
        return bytes;
    }
}
