using Kedge.Server.Dashboard;

namespace Kedge.Server.Tests.Dashboard;

public sealed class RouteLiveStatsTests
{
    [Fact]
    public void Read_NoRequests_ZeroRatesAndNoP99()
    {
        var live = new RouteLiveStats().Read(100);

        Assert.Equal(0, live.RequestsPerSecond);
        Assert.Equal(0, live.Requests);
        Assert.Null(live.P99Seconds);
    }

    [Fact]
    public void Read_RequestsOverSeveralSeconds_RatesOverTheTenSecondWindow()
    {
        var stats = new RouteLiveStats();
        for (var second = 91; second <= 100; second++)
        {
            for (var i = 0; i < 5; i++)
            {
                stats.Record(second, 0.003, error: i == 0);
            }
        }

        var live = stats.Read(100);

        Assert.Equal(50, live.Requests);
        Assert.Equal(10, live.Errors);
        Assert.Equal(5.0, live.RequestsPerSecond);
        Assert.Equal(1.0, live.ErrorsPerSecond);
    }

    [Fact]
    public void Read_SecondsOlderThanTheWindow_LeftOut()
    {
        var stats = new RouteLiveStats();
        stats.Record(80, 0.001, error: true);
        stats.Record(90, 0.001, error: false);
        stats.Record(95, 0.001, error: false);

        var live = stats.Read(100);

        Assert.Equal(1, live.Requests);
        Assert.Equal(0, live.Errors);
    }

    [Fact]
    public void Record_SlotComesRoundAgain_OldCountsCleared()
    {
        var stats = new RouteLiveStats();
        for (var i = 0; i < 100; i++)
        {
            stats.Record(3, 0.001, error: true);
        }

        // Second 19 lands in the same slot of the 16-slot ring as second 3.
        stats.Record(19, 0.001, error: false);

        var live = stats.Read(19);
        Assert.Equal(1, live.Requests);
        Assert.Equal(0, live.Errors);
    }

    [Fact]
    public void Record_LateRequestForASecondTheRingPassed_NotCounted()
    {
        var stats = new RouteLiveStats();
        stats.Record(19, 0.001, error: false);

        stats.Record(3, 0.001, error: true);

        Assert.Equal(1, stats.Read(19).Requests);
    }

    [Fact]
    public void Read_P99_EstimatedInTheBucketOfTheSlowestPercent()
    {
        var stats = new RouteLiveStats();
        for (var i = 0; i < 990; i++)
        {
            stats.Record(50, 0.002, error: false); // bucket (0.001, 0.0025]
        }

        for (var i = 0; i < 10; i++)
        {
            stats.Record(50, 0.7, error: false); // bucket (0.5, 1]
        }

        var p99 = stats.Read(50).P99Seconds;

        Assert.NotNull(p99);
        Assert.InRange(p99.Value, 0.001, 0.0025);

        for (var i = 0; i < 20; i++)
        {
            stats.Record(50, 0.7, error: false);
        }

        Assert.InRange(stats.Read(50).P99Seconds!.Value, 0.5, 1.0);
    }

    [Fact]
    public void Read_AllSlowerThanTheLastBound_HighestFiniteBound()
    {
        var stats = new RouteLiveStats();
        stats.Record(7, 60, error: false);

        Assert.Equal(10, stats.Read(7).P99Seconds);
    }

    [Fact]
    public void Record_HotPath_AllocatesNothing()
    {
        var stats = new RouteLiveStats();
        stats.Record(1, 0.01, error: false);
        var before = GC.GetAllocatedBytesForCurrentThread();

        for (var i = 0; i < 100_000; i++)
        {
            stats.Record(1 + (i / 1000), 0.0001 * (i % 500), error: i % 7 == 0);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public async Task Record_ManyThreadsInOneSecond_NoCountLost()
    {
        var stats = new RouteLiveStats();
        stats.Record(42, 0.001, error: false);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                stats.Record(42, 0.001, error: i % 2 == 0);
            }
        })));

        var live = stats.Read(42);
        Assert.Equal(40_001, live.Requests);
        Assert.Equal(20_000, live.Errors);
    }

    [Fact]
    public void Read_WhileASlotIsReclaimedForANewSecond_NeverCountsTheOldSecondsCells()
    {
        // Second 100 and second 116 share a slot. While a recorder reclaims it for 116, a reader at 116 must not see
        // the new second's stamp over the cells of second 100.
        var stats = new RouteLiveStats();
        for (var i = 0; i < 5; i++)
        {
            stats.Record(100, 0.003, error: true);
        }

        LiveNumbers? seenWhileClaiming = null;
        stats.Claiming = () => seenWhileClaiming = stats.Read(116);
        stats.Record(116, 0.003, error: false);

        Assert.NotNull(seenWhileClaiming);
        Assert.Equal(0, seenWhileClaiming.Value.Requests);
        Assert.Equal(0, seenWhileClaiming.Value.Errors);
        var after = stats.Read(116);
        Assert.Equal(1, after.Requests);
        Assert.Equal(0, after.Errors);
    }
}

