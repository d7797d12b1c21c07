using System.Text;
using Kedge.Common.Files;
using Kedge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Client.Tests.Files;

public class FileSnapshotTests
{
    [Fact]
    public void GetCurrent_UnchangedContent_DoesNotReparse()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("f");
        File.WriteAllText(path, "one");
        var parses = 0;
        var clock = new FakeTimeProvider();
        var snapshot = new FileSnapshot<string>([path], c => { parses++; return Encoding.UTF8.GetString(c[0]); }, TimeSpan.FromSeconds(1), clock);

        snapshot.GetCurrent();
        clock.Advance(TimeSpan.FromSeconds(2));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1)); // a touch without a change
        snapshot.GetCurrent();

        Assert.Equal(1, parses);
    }

    [Fact]
    public void GetCurrent_ParseFailsAfterChange_KeepsLastGoodAndReportsThenRecovers()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("f");
        File.WriteAllText(path, "good-1");
        var clock = new FakeTimeProvider();
        var failures = new List<Exception>();
        var changes = new List<string>();
        var snapshot = new FileSnapshot<string>(
            [path],
            c => Encoding.UTF8.GetString(c[0]) is var s && s.StartsWith("good", StringComparison.Ordinal) ? s : throw new FormatException("half-written"),
            TimeSpan.FromSeconds(1),
            clock,
            onChanged: changes.Add,
            onReloadFailed: failures.Add);
        Assert.Equal("good-1", snapshot.GetCurrent());

        File.WriteAllText(path, "garbage");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("good-1", snapshot.GetCurrent());
        Assert.Single(failures);

        File.WriteAllText(path, "good-2");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("good-2", snapshot.GetCurrent());
        Assert.Equal(["good-2"], changes);
    }

    [Fact]
    public void GetCurrent_NeverLoaded_ThrowsIOExceptionNamingFiles()
    {
        using var dir = new TempDirectory();
        var snapshot = new FileSnapshot<string>([dir.Combine("a.crt"), dir.Combine("a.key")], c => "x", TimeSpan.FromSeconds(1), TimeProvider.System);

        var ex = Assert.Throws<IOException>(() => snapshot.GetCurrent());

        Assert.Contains("a.crt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a.key", ex.Message, StringComparison.Ordinal);
    }
}
