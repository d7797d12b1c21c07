using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Observability;

/// <summary>
/// Wraps a logger provider so that a flood of Warning, Error or Critical lines cannot flood the log: per category and
/// event id, at most <see cref="Burst"/> lines pass in each <see cref="Interval"/>; the others are counted and reported in
/// one line (event 1340, with the count and the last message) when the interval ends. Kestrel's own categories pass
/// through it too, so an HTTP/2 flood that makes Kestrel log per stream or per connection costs a few lines per interval.
/// Lines below Warning are not touched (they are off by default, and turning on Debug is a choice to see everything),
/// except the Information lines a caller can ask for with <c>X-Kedge-Info-Logs</c> (events 1470 and 1472), which are limited alike.
/// </summary>
/// <remarks>
/// Every provider gets its own wrapper, so each sink decides alike from the same sequence of lines. A wrapped provider's
/// type is this one, so provider-specific filter rules (<c>Logging:Console:LogLevel</c>) no longer apply to it; kedge sets
/// levels for all providers (<c>log_level</c> and category filters).
/// </remarks>
internal sealed class RateLimitedLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    /// <summary>Lines of one event passed per interval before the rest are only counted.</summary>
    public const int Burst = 5;

    /// <summary>How often suppressed lines are reported.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly ILoggerProvider _inner;
    private readonly bool _ownsInner;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Category, int EventId), Window> _windows = new();
    private readonly ITimer _timer;

    public RateLimitedLoggerProvider(ILoggerProvider inner, bool ownsInner, TimeProvider time)
    {
        _inner = inner;
        _ownsInner = ownsInner;
        _time = time;
        // Reports what a burst suppressed even when the burst has stopped (no further line would trigger the report).
        _timer = time.CreateTimer(static state => ((RateLimitedLoggerProvider)state!).Flush(force: false), this, Interval, Interval);
    }

    /// <summary>Wraps every logger provider registered so far in <paramref name="services"/>.</summary>
    public static void WrapAll(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(ILoggerProvider) || descriptor.IsKeyedService)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(provider =>
            {
                var time = provider.GetRequiredService<TimeProvider>();
                // An instance registered by the host's builder is the caller's to dispose; one made here is ours.
                return descriptor.ImplementationInstance is ILoggerProvider instance
                    ? new RateLimitedLoggerProvider(instance, ownsInner: false, time)
                    : new RateLimitedLoggerProvider((ILoggerProvider)(descriptor.ImplementationFactory?.Invoke(provider) ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!)), ownsInner: true, time);
            });
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName, _inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (_inner is ISupportExternalScope scoped)
        {
            scoped.SetScopeProvider(scopeProvider);
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush(force: true);
        if (_ownsInner)
        {
            _inner.Dispose();
        }
    }

    /// <summary>Reports the windows that ended (all of them when <paramref name="force"/>) and had lines suppressed.</summary>
    internal void Flush(bool force)
    {
        var now = _time.GetTimestamp();
        foreach (var window in _windows.Values)
        {
            window.ReportIfEnded(now, force);
        }
    }

    private bool Admit(string category, ILogger inner, LogLevel level, EventId eventId, Func<string> message)
    {
        var window = _windows.GetOrAdd((category, eventId.Id), static (_, state) => new Window(state.This, state.Inner), (This: this, Inner: inner));
        return window.Admit(_time.GetTimestamp(), level, eventId, message);
    }

    private sealed class Window(RateLimitedLoggerProvider owner, ILogger logger)
    {
        private readonly Lock _gate = new();
        private long _start = owner._time.GetTimestamp();
        private int _passed;
        private long _suppressed;
        private LogLevel _level;
        private EventId _eventId;
        private Func<string>? _last;

        public bool Admit(long now, LogLevel level, EventId eventId, Func<string> message)
        {
            Summary? ended;
            bool admitted;
            lock (_gate)
            {
                ended = EndIfElapsed(now, force: false);
                admitted = _passed < Burst;
                if (admitted)
                {
                    _passed++;
                }
                else
                {
                    _suppressed++;
                    _level = level > _level ? level : _level;
                    _eventId = eventId;
                    _last = message;
                }
            }

            ended?.Write(logger);
            return admitted;
        }

        public void ReportIfEnded(long now, bool force)
        {
            Summary? ended;
            lock (_gate)
            {
                ended = EndIfElapsed(now, force);
            }

            ended?.Write(logger);
        }

        // Under the lock: starts a new window when this one is over, and returns what it suppressed, if anything.
        private Summary? EndIfElapsed(long now, bool force)
        {
            var elapsed = owner._time.GetElapsedTime(_start, now);
            if (!force && elapsed < Interval)
            {
                return null;
            }

            Summary? summary = _suppressed == 0 ? null : new Summary(_suppressed, _level, _eventId, elapsed, _last!);
            _start = now;
            _passed = 0;
            _suppressed = 0;
            _level = LogLevel.Trace;
            _last = null;
            return summary;
        }
    }

    private sealed record Summary(long Count, LogLevel Level, EventId EventId, TimeSpan Interval, Func<string> Last)
    {
        public void Write(ILogger logger)
            => KedgeServerLog.LogLinesSuppressed(logger, Count, Level, EventId.Id, EventId.Name, Interval, Last());
    }

    private sealed class Logger(RateLimitedLoggerProvider owner, string category, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if ((logLevel < LogLevel.Warning && !KedgeServerLog.IsCallerRequestedInformation(eventId.Id)) || owner.Admit(category, inner, logLevel, eventId, () => formatter(state, exception)))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
