using Kedge.Winch.Forward;

namespace Kedge.Winch.Tests.Forward;

public sealed class WinchForwardCommandTests
{
    private const string Routes = """{"routes": [{"direct": {"key": "db.cluster-b.kedge", "url": "https://kedge.cluster-b.example.com"}}, {"direct": {"key": "plain.cluster-b.kedge", "url": "http://kedge.cluster-b.example.com"}}]}""";

    [Fact]
    public async Task RunAsync_TargetsNoHttpsRouteMaps_FailsAtStartListingEach()
    {
        using var error = new StringWriter();

        var code = await WinchForwardCommand.RunAsync(
            ["--listen", "127.0.0.1:0", "other.cluster-b.kedge:5432", "--listen", "127.0.0.1:0", "plain.cluster-b.kedge:5432", "--server_mapper_config=" + Routes],
            error,
            started: _ => Assert.Fail("must not start"),
            CancellationToken.None);

        Assert.Equal(2, code);
        var text = error.ToString();
        Assert.Contains("--listen 127.0.0.1:0: no route of the mapper config maps other.cluster-b.kedge:5432", text, StringComparison.Ordinal);
        Assert.Contains("--listen 127.0.0.1:0: plain.cluster-b.kedge:5432 maps to the plain-text kedge", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BadListenAndBadFlag_BothReported()
    {
        using var error = new StringWriter();

        var code = await WinchForwardCommand.RunAsync(
            ["--listen", "0.0.0.0:5432", "db.cluster-b.kedge:5432", "--server_http_port=x", "--server_mapper_config=" + Routes],
            error,
            started: _ => Assert.Fail("must not start"),
            CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("loopback addresses only", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("server_http_port", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MappedTarget_ListensOnTheLoopbackPortAndStops()
    {
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = WinchForwardCommand.RunAsync(
            ["--listen", "127.0.0.1:0", "db.cluster-b.kedge:5432", "--server_mapper_config=" + Routes],
            error,
            server => started.SetResult(server.Forwards.Single().Port),
            stop.Token);
        var first = await Task.WhenAny(started.Task, run);
        Assert.True(first == started.Task, error.ToString());
        Assert.NotEqual(0, await started.Task);
        await stop.CancelAsync();

        Assert.Equal(0, await run);
    }
}
