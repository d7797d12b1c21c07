using System.Net;
using System.Text.RegularExpressions;
using Kedge.Client.Grpc;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Kedge.FunctionalTests.Server;

/// <summary>
/// kedge's side of <see cref="KedgeMetricContract"/>: the series the dashboard, the README and users' alerts rely on are
/// exported with exactly the contract's labels (the deploy tests check the other side: the queries use nothing else).
/// </summary>
public sealed partial class KedgeMetricContractTests : IAsyncLifetime
{
    // Exported by winch (its own tests), or only after an event this test does not cause (a retry).
    private static readonly string[] NotFromThisTraffic = ["winch_", "kedge_client_", "kedge_backend_retries_total"];

    private readonly TestLogSink _logs = new();
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;

    public async Task InitializeAsync()
    {
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 }, _logs);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Metrics_AfterHttpGrpcAndRefusedTraffic_EveryContractSeriesExportedWithExactlyItsLabels()
    {
        var routing = new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "web", Host = "web.kedge" }],
            GrpcRoutes = [new() { Backend = "greeter" }],
            HttpBackends = [new() { Name = "web", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
            GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
        };
        await using var kedge = await KedgeServerFixture.StartAsync(_logs, routing);
        using var client = kedge.CreateClient(_logs);
        using var http = new HttpClient(client.CreateHandler());
        using var channel = KedgeChannel.ForService("greeter.kedge:9000", client);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("http://web.kedge/")).StatusCode);
        await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "contract" });
        Assert.Equal(HttpStatusCode.BadGateway, (await http.GetAsync("http://nothing.kedge/")).StatusCode);

        using var admin = new HttpClient { BaseAddress = kedge.AdminUrl };
        var exposition = await Eventually.ValueAsync(
            () => admin.GetStringAsync("/metrics"),
            m => Regex.IsMatch(m, "(?m)^kedge_requests_total\\{[^}]*route=\"\"[^}]*\\} 1$") && m.Contains("protocol=\"grpc\"", StringComparison.Ordinal),
            "the HTTP, gRPC and refused requests are counted");
        var exported = Series(exposition);

        var problems = new List<string>();
        foreach (var (name, labels) in KedgeMetricContract.Series)
        {
            if (!exported.TryGetValue(name, out var labelSets))
            {
                if (!NotFromThisTraffic.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    problems.Add($"{name}: not exported");
                }

                continue;
            }

            foreach (var set in labelSets.Where(set => !set.SetEquals(labels)))
            {
                problems.Add($"{name}: exported with labels [{string.Join(", ", set.Order(StringComparer.Ordinal))}], the contract says [{string.Join(", ", labels.Order(StringComparer.Ordinal))}]");
            }
        }

        Assert.True(problems.Count == 0, "kedge's /metrics and the metric contract differ:\n" + string.Join("\n", problems));
    }

    /// <summary>Every sample's series name with the label names it was exported with.</summary>
    private static Dictionary<string, List<HashSet<string>>> Series(string exposition)
    {
        var series = new Dictionary<string, List<HashSet<string>>>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            var sample = SampleLine().Match(line);
            if (!sample.Success)
            {
                continue;
            }

            var labels = LabelName().Matches(sample.Groups["labels"].Value).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            var sets = series.TryGetValue(sample.Groups["name"].Value, out var known) ? known : series[sample.Groups["name"].Value] = [];
            if (!sets.Any(labels.SetEquals))
            {
                sets.Add(labels);
            }
        }

        return series;
    }

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? ")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex LabelName();
}
