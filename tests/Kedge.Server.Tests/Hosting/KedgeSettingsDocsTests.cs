using Kedge.Server.Configuration.Settings;

namespace Kedge.Server.Tests.Hosting;

public sealed class KedgeSettingsDocsTests
{
    /// <summary>Set KEDGE_UPDATE_README=1 to rewrite the README's tables from the code (the run still fails, so a stale README never passes).</summary>
    [Fact]
    public void Readme_SettingsTables_AreTheOnesTheCodeGenerates()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "src", "Kedge.Server", "README.md")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var readme = Path.Combine(dir.FullName, "src", "Kedge.Server", "README.md");
        var text = File.ReadAllText(readme).ReplaceLineEndings("\n");
        var begin = text.IndexOf(KedgeSettingsDocs.Begin, StringComparison.Ordinal);
        var end = text.IndexOf(KedgeSettingsDocs.End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{readme} has no generated settings tables between '{KedgeSettingsDocs.Begin}' and '{KedgeSettingsDocs.End}'.");
        var current = text[begin..(end + KedgeSettingsDocs.End.Length + 1)];
        var expected = KedgeSettingsDocs.Markdown();
        if (current != expected && Environment.GetEnvironmentVariable("KEDGE_UPDATE_README") == "1")
        {
            File.WriteAllText(readme, text.Replace(current, expected, StringComparison.Ordinal));
            Assert.Fail($"{readme} was out of date and is regenerated; review the change, commit it and run the test again.");
        }

        Assert.True(current == expected, $"The settings tables in {readme} differ from the code; run this test with KEDGE_UPDATE_README=1 to regenerate them.");
    }
}
