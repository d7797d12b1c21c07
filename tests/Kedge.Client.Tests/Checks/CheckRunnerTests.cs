using Kedge.Common.Checks;

namespace Kedge.Client.Tests.Checks;

public class CheckRunnerTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_ChecksThatWaitForEachOther_RunInParallel()
    {
        // Each check finishes only once all three have started: run one after another, the first would wait forever.
        var started = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CheckDefinition Waiting(string name) => CheckDefinition.Single("area", name, async token =>
        {
            if (Interlocked.Increment(ref started) == 3)
            {
                all.SetResult();
            }

            await all.Task.WaitAsync(token);
            return CheckResult.Pass("area", name, "ran");
        });

        var report = await CheckRunner.RunAsync([Waiting("a"), Waiting("b"), Waiting("c")], Generous, TimeProvider.System);

        Assert.All(report.Results, r => Assert.Equal(CheckStatus.Pass, r.Status));
        Assert.Equal(3, report.Results.Count);
    }

    [Fact]
    public async Task RunAsync_CheckBlockingBeforeItsFirstAwait_DoesNotHoldUpTheOthers()
    {
        using var release = new ManualResetEventSlim();
        var blocking = new CheckDefinition("area", "blocking", _ =>
        {
            release.Wait(Generous); // synchronous, before any await
            return Task.FromResult<IReadOnlyList<CheckResult>>([CheckResult.Pass("area", "blocking", "released")]);
        });
        var releasing = CheckDefinition.Single("area", "releasing", _ =>
        {
            release.Set();
            return Task.FromResult(CheckResult.Pass("area", "releasing", "set"));
        });

        var report = await CheckRunner.RunAsync([blocking, releasing], Generous, TimeProvider.System);

        Assert.Equal(["released", "set"], report.Results.Select(r => r.Found));
    }

    [Fact]
    public async Task RunAsync_CheckPastItsTimeout_IsAFailLineNamingTheTimeoutAndTheOthersStillReport()
    {
        var hanging = CheckDefinition.Single("backends", "endpoint 10.0.0.7:8080", async token =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return CheckResult.Pass("backends", "endpoint 10.0.0.7:8080", "unreachable");
        });
        var quick = CheckDefinition.Known(CheckResult.Pass("backends", "quick", "fine"));

        var report = await CheckRunner.RunAsync([hanging, quick], TimeSpan.FromMilliseconds(200), TimeProvider.System);

        var line = report.Results[0];
        Assert.Equal(("backends", "endpoint 10.0.0.7:8080", CheckStatus.Fail), (line.Area, line.Name, line.Status));
        Assert.Equal("no answer within 200 ms", line.Found);
        Assert.Contains("--timeout", line.Fix, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Pass, report.Results[1].Status);
        Assert.Equal(CheckReport.ExitFailed, report.ExitCode);
    }

    [Fact]
    public async Task RunAsync_CheckIgnoringItsToken_StillEndsAtItsOwnTimeout()
    {
        using var never = new ManualResetEventSlim();
        var deaf = new CheckDefinition("area", "deaf", async _ =>
        {
            await Task.Run(() => never.Wait(Generous), CancellationToken.None);
            return [CheckResult.Pass("area", "deaf", "woke up")];
        }, Timeout: TimeSpan.FromMilliseconds(150));

        var report = await CheckRunner.RunAsync([deaf], Generous, TimeProvider.System);

        Assert.Equal("no answer within 150 ms", Assert.Single(report.Results).Found);
        never.Set();
    }

    [Fact]
    public async Task RunAsync_OwnTimeoutOverTheDefault_IsGivenInSeconds()
    {
        var slow = CheckDefinition.Single("area", "slow", async token =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return CheckResult.Pass("area", "slow", "never");
        }, timeout: TimeSpan.FromSeconds(1.5));

        var report = await CheckRunner.RunAsync([slow], TimeSpan.FromMilliseconds(1), TimeProvider.System);

        Assert.Equal("no answer within 1.5 s", Assert.Single(report.Results).Found);
    }

    [Fact]
    public async Task RunAsync_CheckThatThrows_IsAFailLineWithTheException()
    {
        var broken = new CheckDefinition("certificates", "server certificate", _ => throw new InvalidOperationException("boom"));
        var fine = CheckDefinition.Known(CheckResult.Pass("certificates", "other", "fine"));

        var report = await CheckRunner.RunAsync([broken, fine], Generous, TimeProvider.System);

        var line = report.Results[0];
        Assert.Equal(CheckStatus.Fail, line.Status);
        Assert.Equal("server certificate", line.Name);
        Assert.Equal("the check itself failed: InvalidOperationException: boom", line.Found);
        Assert.Contains("defect", line.Fix, StringComparison.Ordinal);
        Assert.Equal("fine", report.Results[1].Found);
    }

    [Fact]
    public async Task RunAsync_ChecksFinishingInReverse_KeepDefinitionOrderAndEveryLineOfEach()
    {
        // The first check finishes last, the last first.
        var gates = Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var checks = Enumerable.Range(0, 4).Select(i => new CheckDefinition("area", $"check {i}", async token =>
        {
            if (i < 3)
            {
                await gates[i + 1].Task.WaitAsync(token);
            }

            gates[i].SetResult();
            return [CheckResult.Pass("area", $"check {i}", "first line"), CheckResult.Warn("area", $"check {i}", "second line", "fix")];
        })).ToList();

        var report = await CheckRunner.RunAsync(checks, Generous, TimeProvider.System);

        Assert.Equal(
            ["check 0", "check 0", "check 1", "check 1", "check 2", "check 2", "check 3", "check 3"],
            report.Results.Select(r => r.Name));
        Assert.Equal(CheckReport.ExitWarnings, report.ExitCode);
    }

    [Fact]
    public async Task RunAsync_CallerCancels_Throws()
    {
        using var cancel = new CancellationTokenSource();
        var waiting = CheckDefinition.Single("area", "waiting", async token =>
        {
            await cancel.CancelAsync();
            await Task.Delay(Timeout.Infinite, token);
            return CheckResult.Pass("area", "waiting", "never");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CheckRunner.RunAsync([waiting], Generous, TimeProvider.System, cancel.Token));
    }
}
