using Kedge.Server.Observability;
using Kedge.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Server.Tests.Observability;

public class RateLimitedLoggerProviderTests
{
    private static readonly EventId Noisy = new(7, "Noisy");

    [Fact]
    public void Log_FloodOfOneWarning_BurstPassesRestReportedOnceWithCount()
    {
        var clock = new FakeTimeProvider();
        using var sink = new TestLogSink().ExpectErrors(e => e.EventId == Noisy);
        using var provider = new RateLimitedLoggerProvider(sink, ownsInner: false, clock);
        var logger = provider.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Http2");

        for (var i = 0; i < 1000; i++)
        {
            logger.Log(LogLevel.Critical, Noisy, i, null, (n, _) => $"line {n}");
        }

        Assert.Equal(RateLimitedLoggerProvider.Burst, sink.Entries.Count);
        clock.Advance(RateLimitedLoggerProvider.Interval);

        var summary = Assert.Single(sink.WithEventName("LogLinesSuppressed"));
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Equal("Microsoft.AspNetCore.Server.Kestrel.Http2", summary.Category);
        Assert.Contains($"{1000 - RateLimitedLoggerProvider.Burst} more Critical lines of event 7 (Noisy)", summary.Message, StringComparison.Ordinal);
        Assert.EndsWith("the last one: line 999", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_NextInterval_BurstPassesAgain()
    {
        var clock = new FakeTimeProvider();
        using var sink = new TestLogSink();
        using var provider = new RateLimitedLoggerProvider(sink, ownsInner: false, clock);
        var logger = provider.CreateLogger("kedge");

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 50; i++)
            {
                logger.Log(LogLevel.Warning, Noisy, "again", null, (s, _) => s);
            }

            clock.Advance(RateLimitedLoggerProvider.Interval);
        }

        Assert.Equal(3 * RateLimitedLoggerProvider.Burst, sink.Entries.Count(e => e.EventId.Id == Noisy.Id));
        Assert.Equal(3, sink.WithEventName("LogLinesSuppressed").Count());
    }

    [Fact]
    public void Log_DistinctEventsAndCategories_LimitedSeparately()
    {
        var clock = new FakeTimeProvider();
        using var sink = new TestLogSink();
        using var provider = new RateLimitedLoggerProvider(sink, ownsInner: false, clock);
        var a = provider.CreateLogger("a");
        var b = provider.CreateLogger("b");

        for (var i = 0; i < 20; i++)
        {
            a.Log(LogLevel.Warning, Noisy, "a", null, (s, _) => s);
            a.Log(LogLevel.Warning, new EventId(8, "Other"), "a8", null, (s, _) => s);
            b.Log(LogLevel.Warning, Noisy, "b", null, (s, _) => s);
        }

        Assert.Equal(3 * RateLimitedLoggerProvider.Burst, sink.Entries.Count);
    }

    [Fact]
    public void Log_FloodOfCallerForcedInformation_LimitedLikeWarnings()
    {
        var clock = new FakeTimeProvider();
        using var sink = new TestLogSink();
        using var provider = new RateLimitedLoggerProvider(sink, ownsInner: false, clock);
        var logger = provider.CreateLogger("Kedge.Server.Forwarding.KedgeErrors");

        for (var i = 0; i < 1000; i++)
        {
            KedgeServerLog.InfoLogsRequestProxied(logger, "winch-mallory", "orders.kedge", "orders", 200);
        }

        clock.Advance(RateLimitedLoggerProvider.Interval);

        Assert.Equal(RateLimitedLoggerProvider.Burst, sink.WithEventName("InfoLogsRequestProxied").Count());
        Assert.Contains($"{1000 - RateLimitedLoggerProvider.Burst} more Information lines of event 1470", Assert.Single(sink.WithEventName("LogLinesSuppressed")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_BelowWarning_NeverLimited()
    {
        var clock = new FakeTimeProvider();
        using var sink = new TestLogSink();
        using var provider = new RateLimitedLoggerProvider(sink, ownsInner: false, clock);
        var logger = provider.CreateLogger("kedge");

        for (var i = 0; i < 100; i++)
        {
            logger.Log(LogLevel.Debug, Noisy, "refused", null, (s, _) => s);
        }

        clock.Advance(RateLimitedLoggerProvider.Interval);
        Assert.Equal(100, sink.Entries.Count);
    }

    [Fact]
    public void Dispose_PendingSuppressedLines_Reported()
    {
        var clock = new FakeTimeProvider();
        using var sink = new TestLogSink();
        var provider = new RateLimitedLoggerProvider(sink, ownsInner: false, clock);
        var logger = provider.CreateLogger("kedge");
        for (var i = 0; i < RateLimitedLoggerProvider.Burst + 2; i++)
        {
            logger.Log(LogLevel.Warning, Noisy, "x", null, (s, _) => s);
        }

        provider.Dispose();

        Assert.Contains("2 more Warning lines", Assert.Single(sink.WithEventName("LogLinesSuppressed")).Message, StringComparison.Ordinal);
    }
}
