using Microsoft.Extensions.Logging;

namespace Kedge.Server.Backends;

/// <summary>
/// A resolver that looks its endpoints up periodically and reports only changes. The first answer is awaited, so a
/// backend is ready (or knowingly empty) when the configuration is applied; a failed lookup keeps the last known
/// endpoints.
/// </summary>
internal abstract class PollingResolver : IBackendResolver
{
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    protected PollingResolver(string name, TimeSpan interval, TimeProvider timeProvider, ILogger logger)
    {
        Name = name;
        _interval = interval;
        _timeProvider = timeProvider;
        Logger = logger;
    }

    /// <summary>What is resolved (for logs).</summary>
    protected string Name { get; }

    protected ILogger Logger { get; }

    public async Task StartAsync(Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken)
    {
        var last = await PollAsync(previous: null, onChange, cancellationToken);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_interval, _timeProvider, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                last = await PollAsync(last, onChange, _stop.Token);
            }
        }, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }

    /// <summary>One lookup outside the polling loop, failures thrown rather than logged (<c>kedge check</c> names the cause).</summary>
    internal Task<IReadOnlyList<BackendEndpoint>> ResolveOnceAsync(CancellationToken cancellationToken) => ResolveAsync(cancellationToken);

    /// <summary>One lookup. Throws on failure (the caller keeps the previous endpoints).</summary>
    protected abstract Task<IReadOnlyList<BackendEndpoint>> ResolveAsync(CancellationToken cancellationToken);

    /// <summary>Whether an exception from <see cref="ResolveAsync"/> is a lookup failure (kept quiet) rather than a bug.</summary>
    protected abstract bool IsLookupFailure(Exception exception);

    private async Task<BackendEndpoint[]?> PollAsync(BackendEndpoint[]? previous, Action<IReadOnlyList<BackendEndpoint>> onChange, CancellationToken cancellationToken)
    {
        try
        {
            var endpoints = (await ResolveAsync(cancellationToken)).Distinct().OrderBy(e => e.Authority, StringComparer.Ordinal).ToArray();
            if (previous is null || !previous.SequenceEqual(endpoints))
            {
                onChange(endpoints);
            }

            return endpoints;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return previous;
        }
        catch (Exception ex) when (IsLookupFailure(ex))
        {
            KedgeServerLog.ResolutionFailed(Logger, Name, ex);
            if (previous is null)
            {
                onChange([]);
            }

            return previous ?? [];
        }
    }
}
