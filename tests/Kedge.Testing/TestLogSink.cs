using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kedge.Testing;

/// <summary>One captured log entry.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>
/// Captures logs. Disposing it fails the test if an error was logged that the test did not declare expected with
/// <see cref="ExpectErrors"/>: an unexpected error log is a bug even when the call succeeded.
/// </summary>
public sealed class TestLogSink : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly List<Func<LogEntry, bool>> _expectedErrors = [];
    private bool _disposed;

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>Declares errors that this test provokes on purpose.</summary>
    public TestLogSink ExpectErrors(Func<LogEntry, bool> predicate)
    {
        lock (_expectedErrors)
        {
            _expectedErrors.Add(predicate);
        }

        return this;
    }

    public IEnumerable<LogEntry> WithEventName(string name) => _entries.Where(e => e.EventId.Name == name);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        List<LogEntry> unexpected;
        lock (_expectedErrors)
        {
            unexpected = [.. _entries.Where(e => e.Level >= LogLevel.Error && !_expectedErrors.Any(p => p(e)))];
        }

        if (unexpected.Count > 0)
        {
            throw new InvalidOperationException(
                "Unexpected error logs:\n" + string.Join("\n", unexpected.Select(e => $"[{e.Level}] {e.Category} {e.EventId.Name}: {e.Message} {e.Exception}")));
        }
    }

    private sealed class Logger(TestLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                sink._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }
}
