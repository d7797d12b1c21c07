using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Kubernetes;

/// <summary>
/// Follows one set of Kubernetes objects: list, then watch from the list's resource version with bookmarks; when a
/// watch ends, resume from the last version seen; when that version has expired (410 Gone, which KubernetesClient
/// reports through the watch's error callback rather than as an event) list again; on any failure reconnect with
/// exponential backoff and jitter. While the API is unreachable the handler simply hears nothing, so the last known
/// state stays in force.
/// </summary>
internal sealed class KubernetesWatch<T, TList>
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    private readonly string _name;
    private readonly Func<CancellationToken, Task<TList>> _list;
    private readonly Func<string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> _watch;
    private readonly IKubernetesWatchHandler<T> _handler;
    private readonly KubernetesOptions _options;
    private readonly KubernetesMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public KubernetesWatch(
        string name,
        Func<CancellationToken, Task<TList>> list,
        Func<string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
        IKubernetesWatchHandler<T> handler,
        KubernetesOptions options,
        KubernetesMetrics metrics,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _name = name;
        _list = list;
        _watch = watch;
        _handler = handler;
        _options = options;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The resource version the next watch resumes from (null: list first).</summary>
    internal string? ResourceVersion { get; private set; }

    /// <summary>Failures in a row (reset by the first list or event that gets through).</summary>
    private int _failures;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (ResourceVersion is null)
                {
                    var list = await _list(stoppingToken);
                    _handler.Reset(list.Items ?? []);
                    ResourceVersion = list.Metadata?.ResourceVersion ?? string.Empty;
                    KedgeServerLog.KubernetesListed(_logger, list.Items?.Count ?? 0, _name, ResourceVersion);
                    Recovered();
                }

                var outcome = await WatchOnceAsync(stoppingToken);
                if (outcome.Gone)
                {
                    _metrics.WatchRelist(_name);
                    KedgeServerLog.KubernetesWatchExpired(_logger, _name, ResourceVersion);
                    ResourceVersion = null;
                    if (!outcome.Received)
                    {
                        // A fresh list's version expiring at once, again and again, would be a busy loop: back off.
                        await Task.Delay(Backoff(++_failures), _timeProvider, stoppingToken);
                    }

                    continue;
                }

                if (outcome.Error is not null)
                {
                    if (outcome.Lost)
                    {
                        // An error inside the stream may have cost an event: list again after the backoff.
                        ResourceVersion = null;
                    }

                    throw outcome.Error;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException ex) when (ex.Response?.StatusCode == System.Net.HttpStatusCode.Gone)
            {
                _metrics.WatchRelist(_name);
                KedgeServerLog.KubernetesWatchExpired(_logger, _name, ResourceVersion);
                ResourceVersion = null;
            }
            catch (Exception ex)
            {
                _failures++;
                _metrics.WatchError(_name);
                _metrics.WatchFailed(_name, Backends.EndpointFailure.Describe(ex), _timeProvider.GetUtcNow());
                var delay = Backoff(_failures);
                KedgeServerLog.KubernetesWatchFailed(_logger, _name, _failures, delay, ex);
                try
                {
                    await Task.Delay(delay, _timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                _metrics.WatchReconnect(_name);
            }
        }
    }

    private void Recovered()
    {
        if (_failures > 0)
        {
            KedgeServerLog.KubernetesWatchRecovered(_logger, _name, _failures);
            _failures = 0;
        }
    }

    private async Task<WatchOutcome> WatchOnceAsync(CancellationToken stoppingToken)
    {
        var gone = false;
        Exception? error = null;
        var received = false;
        var lost = false;
        var started = _timeProvider.GetTimestamp();

        // The server closes the watch after timeoutSeconds; a stream that stays silent well past that is hung (a dead
        // connection with no FIN), so it is cut here and resumed.
        var timeoutSeconds = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds);
        using var hung = new CancellationTokenSource(_options.WatchTimeout + TimeSpan.FromSeconds(30), _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, hung.Token);
        try
        {
            await foreach (var (type, item) in _watch(ResourceVersion!, timeoutSeconds, OnError, linked.Token))
            {
                if (gone || error is not null)
                {
                    // An event was lost (a line that could not be read): moving on to later versions would skip it for
                    // good, so stop here; the caller lists again.
                    break;
                }

                if (!received)
                {
                    received = true;
                    Recovered();
                }

                switch (type)
                {
                    case WatchEventType.Added:
                    case WatchEventType.Modified:
                    case WatchEventType.Deleted:
                        _handler.Apply(type, item!);
                        break;
                    default:
                        // Bookmarks only move the resource version on.
                        break;
                }

                // Only once the event is applied: a resume never starts past an event that was not.
                if (item?.Metadata?.ResourceVersion is { Length: > 0 } version)
                {
                    ResourceVersion = version;
                }
            }
        }
        catch (OperationCanceledException) when (hung.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // Resume from the last version.
        }
        catch (HttpRequestException ex) when (!received && ex.InnerException is EndOfStreamException)
        {
            // KubernetesClient peeks at the first line of a watch response, so a watch the server ends (timeoutSeconds)
            // before any event surfaces as "read past the end of the stream". That is a normal end: resume.
        }

        if (!received && !gone && error is null && _timeProvider.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
        {
            // A watch that the server ends at once, again and again, must not become a busy loop: back off.
            error = new k8s.Exceptions.KubernetesClientException("the watch ended at once without any event");
        }

        return new WatchOutcome(gone, error, received, lost);

        void OnError(Exception exception)
        {
            if (exception is KubernetesException { Status.Code: 410 })
            {
                gone = true;
            }
            else
            {
                error ??= exception;
                lost = true;
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var max = _options.MaxReconnectDelay;
        var exponential = FirstDelay * Math.Pow(2, Math.Min(failures - 1, 20));
        var capped = exponential < max ? exponential : max;

        // Jitter: between half and the whole delay, so many kedges do not hammer a recovering API server in step.
        return capped * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    /// <param name="Gone">410: the version expired; list again.</param>
    /// <param name="Error">The watch failed (back off).</param>
    /// <param name="Received">Whether any event arrived.</param>
    /// <param name="Lost">The failure was inside the stream, so an event may be lost: list again too.</param>
    private readonly record struct WatchOutcome(bool Gone, Exception? Error, bool Received, bool Lost);
}
