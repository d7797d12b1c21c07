using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Kedge.Testing;

namespace Kedge.Server.Tests.Checks;

/// <summary><c>kedge check</c> end to end for the backends and kubernetes areas: real config files, DNS server, backends and fake API.</summary>
public sealed class KedgeCheckBackendsTests : IAsyncLifetime, IDisposable
{
    private readonly KedgeCheckSetup _setup = new();
    private readonly TestDnsServer _dns = new();
    private LoopbackServer _orders = null!;
    private KubernetesApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _orders = await LoopbackServer.StartAsync(new LoopbackServerOptions());
        _api = await KubernetesApiServer.StartAsync();
        _api.RequiredToken = "token-1";
    }

    public async Task DisposeAsync()
    {
        await _orders.DisposeAsync();
        await _api.DisposeAsync();
        await _dns.DisposeAsync();
    }

    public void Dispose() => _setup.Dispose();

    [Fact]
    public async Task Check_UnresolvableNameAndClosedPort_FailLinesWithFixesAndExitOne()
    {
        using var closedPort = new ClosedLoopbackPort();
        var closed = closedPort.Port;
        var config = _setup.Write("kedge.json", $$"""
            { "Kedge": {
              "Server": { "DnsServers": [ "{{_dns.EndPoint}}" ] },
              "HttpRoutes": [ { "Backend": "orders", "Host": "orders.example" }, { "Backend": "missing", "Host": "missing.example" }, { "Backend": "gone" } ],
              "HttpBackends": [
                { "Name": "orders", "Static": { "Addresses": [ "127.0.0.1:{{_orders.Port}}" ] } },
                { "Name": "missing", "Host": { "DnsName": "missing.nowhere.test", "Port": 8080 } },
                { "Name": "gone", "Static": { "Addresses": [ "127.0.0.1:{{closed}}" ] } }
              ]
            } }
            """);
        var (cert, key) = _setup.HealthyServerCertificate();

        var (code, output, _) = await KedgeCheckSetup.CheckAsync(_setup.Flags(cert, key, config, "--timeout=2s", "--probe_path=/healthz"));

        Assert.True(code == 1, $"exit {code}:\n{output}");
        Assert.Contains($"static: 1 address (127.0.0.1:{_orders.Port})", CheckLines.TableLine(output, "✔", "backend 'orders'"), StringComparison.Ordinal);
        Assert.Contains($"all 1 answer (TCP connect, GET /healthz): 127.0.0.1:{_orders.Port} (200)", CheckLines.TableLine(output, "✔", "backend 'orders' endpoints"), StringComparison.Ordinal);
        Assert.Contains($"dns missing.nowhere.test:8080: the name does not resolve (NXDOMAIN) on DNS server {_dns.EndPoint} (Kedge:Server:DnsServers)", CheckLines.TableLine(output, "✘", "backend 'missing'"), StringComparison.Ordinal);
        Assert.Equal($"fix: check the name 'missing.nowhere.test' (backend 'missing' in {config}) or the cluster DNS", CheckLines.TableFixOf(output, "✘", "backend 'missing'"));
        Assert.Contains("TCP connect refused: nothing listens on that port", CheckLines.TableLine(output, "✘", $"backend 'gone' 127.0.0.1:{closed}"), StringComparison.Ordinal);
        Assert.Equal($"fix: start the backend on 127.0.0.1:{closed}, or fix the address of backend 'gone' in {config}", CheckLines.TableFixOf(output, "✘", $"backend 'gone' 127.0.0.1:{closed}"));
    }

    [Fact]
    public async Task Check_EndpointSliceListForbidden_JsonFailLineNamingThePermissionAndExitOne()
    {
        _api.Forbidden[("endpointslices", "list")] = true;
        var token = _setup.Write("token", "token-1\n");
        var config = _setup.Write("kedge.json", """
            { "Kedge": {
              "HttpRoutes": [ { "Backend": "orders" } ],
              "HttpBackends": [ { "Name": "orders", "K8s": { "DnsPortName": "orders.shop:http" } } ]
            } }
            """);
        var (cert, key) = _setup.HealthyServerCertificate();

        var (code, output, _) = await KedgeCheckSetup.CheckAsync(_setup.Flags(cert, key, config, $"--k8sclient_kubeapi_url={_api.Url}", $"--k8sclient_token_file={token}", "--output=json"));

        Assert.True(code == 1, $"exit {code}:\n{output}");
        using var json = JsonDocument.Parse(output);
        var checks = json.RootElement.GetProperty("checks").EnumerateArray().ToList();
        var access = checks.Single(c => c.GetProperty("name").GetString() == "cluster access");
        Assert.Equal("pass", access.GetProperty("status").GetString());
        var backend = checks.Single(c => c.GetProperty("name").GetString() == "backend 'orders'");
        Assert.Equal(("backends", "fail"), (backend.GetProperty("area").GetString(), backend.GetProperty("status").GetString()));
        Assert.StartsWith("k8s orders.shop:http: 403 Forbidden: system:serviceaccount:kedge:kedge may not list endpointslices.discovery.k8s.io in namespace 'shop'", backend.GetProperty("found").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("grant system:serviceaccount:kedge:kedge list and watch on endpointslices.discovery.k8s.io in namespace 'shop'", backend.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }
}
