using Kedge.Testing;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>The test process runner leaves nothing running behind a timeout.</summary>
public sealed class ProcessRunTests
{
    [Fact]
    public async Task RunAsync_ProcessOutlivesTheTimeout_KilledAndGoneBeforeTheTimeoutIsReported()
    {
        var pid = 0;

        await Assert.ThrowsAsync<TimeoutException>(() => ProcessRun.RunAsync("sleep", ["30"], TimeSpan.FromMilliseconds(300), started: id => pid = id));

        Assert.NotEqual(0, pid);
        // Killed and reaped: not even a zombie entry is left.
        Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} is still there after the runner reported the timeout");
    }

    [Fact]
    public async Task RunAsync_ProcessExits_CodeAndOutput()
    {
        var (code, stdout, stderr) = await ProcessRun.RunAsync("sh", ["-c", "echo out; echo err >&2; exit 3"], TimeSpan.FromSeconds(30));

        Assert.Equal(3, code);
        Assert.Equal("out\n", stdout);
        Assert.Equal("err\n", stderr);
    }
}
