namespace ReId.ReidEncoder;

/// <summary>
/// Finds the ImageNet ResNet-18 of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (a CNTK export:
/// input BGR 0-255 minus a 224 x 224 mean image). The build copies its ONNX files beside the program under
/// DnnImageModels/; the NuGet cache and REID_DNN_MODELS (a folder holding ResNet18Onnx/ and ResNetPrepOnnx/)
/// are looked at too. The weights are never part of the repository or of a model file.
/// </summary>
public static class ImageNetResNet18
{
    /// <summary>Environment variable naming a DnnImageModels folder.</summary>
    public const string EnvironmentVariable = "REID_DNN_MODELS";

    /// <summary>Identifies these weights in model files.</summary>
    public const string WeightsId = "Microsoft.ML.DnnImageFeaturizer.ResNet18/0.23.1";

    private const string PackageFolder = "microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels";

    /// <summary>The path of ResNet18.onnx; throws FileNotFoundException naming every place looked at.</summary>
    public static string ModelPath() => Find(Path.Combine("ResNet18Onnx", "ResNet18.onnx"));

    /// <summary>The path of ResNetPreprocess.onnx (the mean image); throws FileNotFoundException when absent.</summary>
    public static string PreprocessPath() => Find(Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    /// <summary>True when the weights can be found.</summary>
    public static bool IsAvailable()
    {
        return Candidates().Any(d => File.Exists(Path.Combine(d, "ResNet18Onnx", "ResNet18.onnx")));
    }

    private static string Find(string relative)
    {
        var tried = new List<string>();
        foreach (var dir in Candidates())
        {
            var path = Path.Combine(dir, relative);
            if (File.Exists(path)) return path;
            tried.Add(path);
        }
        throw new FileNotFoundException(
            $"The ImageNet ResNet-18 weights ({WeightsId}) were not found; looked at: {string.Join(", ", tried)}. " +
            $"Restore the project (the build copies them beside the program) or set {EnvironmentVariable} to a DnnImageModels folder.");
    }

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) yield return env;
        yield return Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(nugetRoot))
        {
            nugetRoot = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }
        yield return Path.Combine(nugetRoot, PackageFolder);
    }
}
