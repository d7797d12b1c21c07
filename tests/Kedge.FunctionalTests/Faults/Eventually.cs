using System.Diagnostics;

namespace Kedge.FunctionalTests.Faults;

/// <summary>Waits on a condition (never a fixed sleep), failing the test with <c>because</c> when it does not come true in time.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static async Task TrueAsync(Func<Task<bool>> condition, string because = "the condition did not come true", TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < (timeout ?? DefaultTimeout), because);
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string because = "the condition did not come true", TimeSpan? timeout = null)
        => TrueAsync(() => Task.FromResult(condition()), because, timeout);
}
