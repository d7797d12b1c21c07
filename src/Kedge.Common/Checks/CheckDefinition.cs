namespace Kedge.Common.Checks;

/// <summary>
/// One check to run: what it is (for the line written when it does not finish in time) and the work, which may give
/// several lines (one per endpoint, say). <see cref="CheckRunner"/> runs every definition in parallel.
/// </summary>
/// <param name="Area">The group its lines belong to.</param>
/// <param name="Name">What it checks; the name of the ✘ line when it times out or throws.</param>
/// <param name="RunAsync">The check. The token fires at the check's timeout.</param>
/// <param name="Timeout">Its own timeout; null for the runner's per-check default.</param>
internal sealed record CheckDefinition(string Area, string Name, Func<CancellationToken, Task<IReadOnlyList<CheckResult>>> RunAsync, TimeSpan? Timeout = null)
{
    /// <summary>A check whose result is known without doing any work (a configuration error, say).</summary>
    public static CheckDefinition Known(CheckResult result)
        => new(result.Area, result.Name, _ => Task.FromResult<IReadOnlyList<CheckResult>>([result]));

    /// <summary>A check that gives exactly one line.</summary>
    public static CheckDefinition Single(string area, string name, Func<CancellationToken, Task<CheckResult>> runAsync, TimeSpan? timeout = null)
        => new(area, name, async cancellationToken => [await runAsync(cancellationToken).ConfigureAwait(false)], timeout);
}
