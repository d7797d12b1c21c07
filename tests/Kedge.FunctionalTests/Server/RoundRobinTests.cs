using System.Net;
using Kedge.Server.Configuration;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// Go kedge's lbtransport test, end to end: 100 serial requests over 10 healthy endpoints give each exactly 10
/// (issue 14, defect 2).
/// </summary>
public sealed class RoundRobinTests : IAsyncLifetime
{
    private readonly TestLogSink _logs = new();
    private readonly List<LoopbackServer> _endpoints = [];
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 10; i++)
        {
            _endpoints.Add(await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs));
        }

        var routing = new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "ten", Host = "ten.rr.kedge" },
                new() { Backend = "ten_and_dead", Host = "dead-first.rr.kedge" },
            ],
            HttpBackends =
            [
                new() { Name = "ten", Static = new() { Addresses = [.. _endpoints.Select(e => $"127.0.0.1:{e.Port}")] } },
                new() { Name = "ten_and_dead", Static = new() { Addresses = [$"127.0.0.1:{KedgeServerProxyTests.ClosedPort()}", .. _endpoints.Select(e => $"127.0.0.1:{e.Port}")] } },
            ],
        };

        // The dead endpoint stays ejected for the whole test.
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings => settings.FailedTargetBackoff = TimeSpan.FromMinutes(5));
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        foreach (var endpoint in _endpoints)
        {
            await endpoint.DisposeAsync();
        }

        _logs.Dispose();
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Http_100SerialRequestsOver10Endpoints_ExactlyTenEach(string callerVersion)
    {
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);

        for (var i = 0; i < 100; i++)
        {
            using var response = await http.SendAsync(KedgeTestHttp.Request("ten.rr.kedge", $"/{i}", version: Version.Parse(callerVersion)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.All(_endpoints, e => Assert.Equal(10, e.RequestCount));
    }

    [Fact]
    public async Task Http_OneDeadEndpointEjected_TenHealthyGetExactlyTenEach()
    {
        // The first request meets the dead endpoint, is retried on the next one and ejects it. Neither that retry nor
        // the ejected endpoint's later turns may tilt the rotation: the neighbour used to take a double share.
        using var http = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate);

        for (var i = 0; i < 100; i++)
        {
            using var response = await http.SendAsync(KedgeTestHttp.Request("dead-first.rr.kedge", $"/{i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.All(_endpoints, e => Assert.Equal(10, e.RequestCount));
        Assert.Single(_logs.WithEventName("EndpointEjected"));
    }

    [Fact]
    public async Task Http_100SerialRequestsThroughKedgeClient_ExactlyTenEach()
    {
        using var client = _kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());

        for (var i = 0; i < 100; i++)
        {
            using var response = await http.GetAsync($"http://ten.rr.kedge/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.All(_endpoints, e => Assert.Equal(10, e.RequestCount));
    }
}
