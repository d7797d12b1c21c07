using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Kedge.Server.Kubernetes;
using Kedge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Server.Tests.Kubernetes;

public sealed partial class KubernetesWatchTests
{
    [GeneratedRegex(@"reconnecting in (?<delay>[0-9:.]+)\.")]
    private static partial Regex Delay();

    [Fact]
    public async Task Watch_ApiUnreachable_ReconnectsWithJitteredExponentialBackoffOnTheInjectedClock()
    {
        using var logs = new TestLogSink();
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var clock = new FakeTimeProvider();
        var options = new KubernetesOptions { ApiUrl = "http://127.0.0.1:1", MaxReconnectDelay = TimeSpan.FromMilliseconds(400) };
        using var connection = new KubernetesConnection(options);
        await using var pool = new EndpointSliceWatchPool(connection, new KubernetesMetrics(services.GetRequiredService<IMeterFactory>()), clock, logs);

        using var subscription = pool.Subscribe("shop", "orders", _ => { });

        double[] expectedMilliseconds = [100, 200, 400, 400];
        for (var attempt = 1; attempt <= expectedMilliseconds.Length; attempt++)
        {
            await WaitUntilAsync(() => logs.WithEventName("KubernetesWatchFailed").Count() >= attempt);

            // Nothing happens until the injected clock moves: the delay is not the wall clock's.
            Assert.Equal(attempt, logs.WithEventName("KubernetesWatchFailed").Count());
            var delay = TimeSpan.Parse(Delay().Match(logs.WithEventName("KubernetesWatchFailed").Last().Message).Groups["delay"].Value, CultureInfo.InvariantCulture);
            var full = expectedMilliseconds[attempt - 1];
            Assert.InRange(delay.TotalMilliseconds, full / 2, full);
            clock.Advance(delay);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
