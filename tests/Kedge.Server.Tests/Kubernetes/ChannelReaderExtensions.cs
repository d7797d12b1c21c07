using System.Threading.Channels;

namespace Kedge.Server.Tests.Kubernetes;

internal static class ChannelReaderExtensions
{
    /// <summary>The next item, within a generous timeout.</summary>
    public static async Task<T> NextAsync<T>(this ChannelReader<T> reader, int seconds = 15)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No item arrived in time.");
        }
    }

    /// <summary>Reads until an item satisfies <paramref name="predicate"/> (generous timeout); returns it.</summary>
    public static async Task<T> WaitForAsync<T>(this ChannelReader<T> reader, Func<T, bool> predicate, int seconds = 15)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var seen = new List<T>();
        try
        {
            while (true)
            {
                var item = await reader.ReadAsync(timeout.Token);
                seen.Add(item);
                if (predicate(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("Expected item did not arrive; seen: " + string.Join(" | ", seen.Select(s => s is System.Collections.IEnumerable e and not string ? string.Join(",", e.Cast<object>()) : s?.ToString())));
        }
    }
}
