using System.Diagnostics;
using Xunit.Sdk;

namespace Kedge.Testing;

/// <summary>
/// The one way tests wait: poll a condition until it holds or a deadline passes, never a fixed sleep. A failed wait
/// fails the test with the last value or exception seen, so the message says what was still wrong.
/// </summary>
public static class Eventually
{
    /// <summary>How long a wait lasts unless the test says otherwise: generous, because CI shares two cores.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Waits until <paramref name="condition"/> returns true; exceptions count as "not yet".</summary>
    public static Task TrueAsync(Func<bool> condition, string? because = null, TimeSpan? timeout = null)
        => TrueAsync(() => Task.FromResult(condition()), because, timeout);

    /// <summary>Waits until <paramref name="condition"/> returns true; exceptions count as "not yet".</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string? because = null, TimeSpan? timeout = null)
        => await ValueAsync(condition, static ok => ok, because, timeout);

    /// <summary>
    /// Waits until <paramref name="attempt"/> returns a value that satisfies <paramref name="accept"/>, and returns
    /// it. Exceptions from the attempt count as "not yet" until the deadline, then fail the wait.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> attempt, Func<T, bool> accept, string? because = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        Exception? lastError = null;
        var lastValue = default(T);
        var haveValue = false;
        while (true)
        {
            try
            {
                var value = await attempt();
                if (accept(value))
                {
                    return value;
                }

                (lastValue, haveValue, lastError) = (value, true, null);
            }
            catch (Exception ex) when (ex is not XunitException)
            {
                lastError = ex;
            }

            if (watch.Elapsed >= limit)
            {
                var last = lastError is not null ? $"last error: {lastError.GetType().Name}: {lastError.Message}"
                    : haveValue ? $"last value: {lastValue}" : "no attempt finished";
                throw new XunitException($"Waited {limit.TotalSeconds:0.#} s in vain: {because ?? "the condition did not hold"}; {last}", lastError);
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Waits until <paramref name="attempt"/> succeeds (does not throw) and returns its value.</summary>
    public static Task<T> SucceedsAsync<T>(Func<Task<T>> attempt, string? because = null, TimeSpan? timeout = null)
        => ValueAsync(attempt, static _ => true, because, timeout);
}
