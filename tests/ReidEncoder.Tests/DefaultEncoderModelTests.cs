namespace ReId.ReidEncoder.Tests;

public class DefaultEncoderModelTests
{
    private string folder = "";

    [SetUp]
    public void SetUp()
    {
        folder = Path.Combine(Path.GetTempPath(), "reid-default-model-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(folder, recursive: true);

    private string PlaceShipped()
    {
        Directory.CreateDirectory(Path.Combine(folder, "models"));
        var path = Path.Combine(folder, "models", DefaultEncoderModel.FileName);
        File.WriteAllBytes(path, [1, 2, 3]);
        return path;
    }

    [TestCase("")]
    [TestCase(null)]
    [TestCase("default")]
    [TestCase("Default")]
    public void Resolve_DefaultWithShippedFile_GivesShippedFile(string? setting)
    {
        var shipped = PlaceShipped();

        var choice = DefaultEncoderModel.Resolve(setting, folder);

        Assert.Multiple(() =>
        {
            Assert.That(choice.Path, Is.EqualTo(shipped));
            Assert.That(choice.IsFallback, Is.False);
            Assert.That(choice.Description, Does.Contain("trained default").And.Contain(DefaultEncoderModel.FileName));
        });
    }

    [Test]
    public void Resolve_DefaultWithoutShippedFile_FallsBackToUntrainedAndSaysSo()
    {
        var choice = DefaultEncoderModel.Resolve("", folder);

        Assert.Multiple(() =>
        {
            Assert.That(choice.Path, Is.Null);
            Assert.That(choice.IsFallback, Is.True);
            Assert.That(choice.Description, Does.Contain("untrained").And.Contain("not found"));
        });
    }

    [Test]
    public void Resolve_Untrained_GivesNoFileEvenWhenShippedExists()
    {
        PlaceShipped();

        var choice = DefaultEncoderModel.Resolve("untrained", folder);

        Assert.Multiple(() =>
        {
            Assert.That(choice.Path, Is.Null);
            Assert.That(choice.IsFallback, Is.False);
        });
    }

    [Test]
    public void Resolve_MissingFile_ThrowsNamingIt()
    {
        var missing = Path.Combine(folder, "nope.reid");

        var e = Assert.Throws<FileNotFoundException>(() => DefaultEncoderModel.Resolve(missing, folder));

        Assert.That(e!.Message, Does.Contain(missing));
    }

    [Test]
    public void Resolve_ExistingFile_GivesThatFile()
    {
        var file = Path.Combine(folder, "site.reid");
        File.WriteAllBytes(file, [1]);

        Assert.That(DefaultEncoderModel.Resolve(file, folder).Path, Is.EqualTo(file));
    }
}
