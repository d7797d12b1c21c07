using Kedge.Server.Dashboard;

namespace Kedge.Server.Tests.Dashboard;

public sealed class ReloadHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_MoreThanCapacity_KeepsTheNewestAndTheLastGoodAndError()
    {
        var history = new ReloadHistory();
        history.Add(new ReloadRecord(Start, "file", Applied: false, string.Empty, ["kedge.json: $.Kedge.HttpRoutes[0].Backend: unknown backend 'x'"]));
        history.Add(new ReloadRecord(Start.AddSeconds(1), "file", Applied: true, "kedge.json: $.Kedge", []));
        for (var i = 0; i < ReloadHistory.Capacity; i++)
        {
            history.Add(new ReloadRecord(Start.AddSeconds(10 + i), "discovered", Applied: true, "(discovered) Kedge", []));
        }

        var (records, lastGood, lastError) = history.Read();

        Assert.Equal(ReloadHistory.Capacity, records.Count);
        Assert.All(records, r => Assert.Equal("discovered", r.Source));
        Assert.Equal(Start.AddSeconds(10 + ReloadHistory.Capacity - 1), lastGood!.At);
        Assert.False(lastError!.Applied);
        Assert.Contains("$.Kedge.HttpRoutes[0].Backend", lastError.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Empty_NoLastGoodOrError()
    {
        var (records, lastGood, lastError) = new ReloadHistory().Read();

        Assert.Empty(records);
        Assert.Null(lastGood);
        Assert.Null(lastError);
    }
}
