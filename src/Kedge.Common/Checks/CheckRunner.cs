using System.Globalization;
namespace Kedge.Common.Checks;

/// <summary>
/// Runs checks in parallel, each under its own timeout, and keeps their lines in the order the checks were given (so
/// the report reads the same every time, whichever check finished first). A check that times out or throws becomes a
/// ✘ line that says so; it never stops the others.
/// </summary>
internal static class CheckRunner
{
    public static async Task<CheckReport> RunAsync(IEnumerable<CheckDefinition> checks, TimeSpan defaultTimeout, TimeProvider timeProvider, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checks);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var running = checks.Select(check => RunOneAsync(check, check.Timeout ?? defaultTimeout, timeProvider, cancellationToken)).ToList();
        var lines = await Task.WhenAll(running).ConfigureAwait(false);
        return new CheckReport([.. lines.SelectMany(l => l)]);
    }

    private static async Task<IReadOnlyList<CheckResult>> RunOneAsync(CheckDefinition check, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            // Off the caller's thread: a check that blocks before its first await must not hold up the others.
            var work = Task.Run(() => check.RunAsync(linked.Token), CancellationToken.None);
            // A check that ignores its token still ends the wait at the timeout.
            return await work.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when ((ex is TimeoutException || ex is OperationCanceledException) && !cancellationToken.IsCancellationRequested)
        {
            return [CheckResult.Fail(check.Area, check.Name, $"no answer within {Format(timeout)}",
                "find out why it hangs (a firewall dropping packets answers nothing), or give the checks more time with --timeout")];
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return [CheckResult.Fail(check.Area, check.Name, $"the check itself failed: {ex.GetType().Name}: {ex.Message}",
                "this is a defect in the check; please report it with this line")];
        }
    }

    /// <summary>A check timeout as lines say it: <c>2 s</c>, <c>1.5 s</c>, <c>500 ms</c>.</summary>
    internal static string Format(TimeSpan timeout) => timeout.TotalSeconds >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds:0.###} s")
        : string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalMilliseconds:0} ms");

    /// <summary>The exception at the bottom of <paramref name="exception"/>'s chain: the words worth showing.</summary>
    internal static Exception Innermost(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        while (exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }
}
