using Kedge.Server.Forwarding;

namespace Kedge.Server.Tests.Forwarding;

public class RequestIdsTests
{
    [Fact]
    public void Next_ReturnsVersion4UuidText()
    {
        var id = RequestIds.Next();

        Assert.True(Guid.TryParseExact(id, "D", out _), id);
        Assert.Equal(36, id.Length);
        Assert.Equal('4', id[14]); // version nibble
        Assert.Contains(id[19], "89ab"); // RFC 4122 variant
        Assert.Equal(id.ToLowerInvariant(), id);
    }

    [Fact]
    public void Format_ConsecutiveCounters_AreDistinctAndNotSequentialText()
    {
        var ids = Enumerable.Range(1, 200_000).Select(i => RequestIds.Format((ulong)i)).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        // The counter is mixed: neighbours differ in more than the last hex digit.
        Assert.NotEqual(ids[0][..^2], ids[1][..^2]);
    }

    [Fact]
    public void Format_CountersThatDifferOnlyAbove48Bits_Repeat()
    {
        // Documents the period: 2^48 requests per process.
        Assert.Equal(RequestIds.Format(5), RequestIds.Format(5 + (1UL << 48)));
    }

    [Fact]
    public async Task Next_ConcurrentCallers_NeverShareAnId()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 20_000).Select(_ => RequestIds.Next()).ToList())));

        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
    }
}
