using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Server.Tests.Backends;

public sealed class BackendTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private Backend _backend = null!;

    public async Task InitializeAsync()
    {
        var addresses = Enumerable.Range(0, 10).Select(i => $"10.0.0.{i}:8080").ToList();
        _backend = new Backend("ten", isGrpc: false, new BackendOptions { Name = "ten" }, new StaticResolver(addresses), TimeSpan.FromMinutes(1), _time, NullLogger.Instance);
        await _backend.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public void Pick_100SerialPicksOver10Endpoints_ExactlyTenEach()
    {
        var counts = PickMany(100);

        Assert.Equal(10, counts.Count);
        Assert.All(counts.Values, c => Assert.Equal(10, c));
    }

    [Fact]
    public void Pick_OneEndpointEjected_TheOthersShareItsTurnsEvenly()
    {
        // Skipping an ejected endpoint must not hand all of its turns to its neighbour (which then took a double share).
        _backend.Eject(_backend.Endpoints[3], new HttpRequestException("refused"));

        var counts = PickMany(90);

        Assert.False(counts.ContainsKey(_backend.Endpoints[3]));
        Assert.Equal(9, counts.Count);
        Assert.All(counts.Values, c => Assert.Equal(10, c));
    }

    [Fact]
    public void Pick_EjectionExpires_EndpointBackInRotation()
    {
        _backend.Eject(_backend.Endpoints[3], new HttpRequestException("refused"));
        _time.Advance(TimeSpan.FromMinutes(1));

        var counts = PickMany(100);

        Assert.All(counts.Values, c => Assert.Equal(10, c));
        Assert.Equal(10, counts.Count);
    }

    [Fact]
    public void PickOther_RetriesAfterConnectFailures_DoNotShiftTheRoundRobin()
    {
        // A retry goes to the next endpoint in rotation without taking a round-robin turn: the requests that follow
        // still visit every endpoint exactly once per round.
        var first = _backend.Pick().Endpoint!;
        var retry = _backend.PickOther([first]).Endpoint!;
        var counts = PickMany(99);

        Assert.NotEqual(first, retry);
        counts[first] = counts.GetValueOrDefault(first) + 1;
        Assert.All(counts.Values, c => Assert.Equal(10, c));
    }

    [Fact]
    public void PickOther_EveryEndpointTried_NoEndpoint()
    {
        var result = _backend.PickOther([.. _backend.Endpoints]);

        Assert.Null(result.Endpoint);
        Assert.Equal(Backend.PickFailure.AllFailing, result.Failure);
    }

    [Fact]
    public void Pick_EveryEndpointEjected_AllFailing()
    {
        foreach (var endpoint in _backend.Endpoints)
        {
            _backend.Eject(endpoint, new HttpRequestException("refused"));
        }

        Assert.Equal(Backend.PickFailure.AllFailing, _backend.Pick().Failure);
    }

    private Dictionary<BackendEndpoint, int> PickMany(int count)
    {
        var counts = new Dictionary<BackendEndpoint, int>();
        for (var i = 0; i < count; i++)
        {
            var endpoint = _backend.Pick().Endpoint!;
            counts[endpoint] = counts.GetValueOrDefault(endpoint) + 1;
        }

        return counts;
    }
}
