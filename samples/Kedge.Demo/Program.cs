// Kedge demo: two "clusters" on loopback, each a real kedge (Kedge.Server: mTLS, HTTP/1.1 + HTTP/2 + gRPC on one port)
// in front of an HTTP echo service and a gRPC greeter, and a caller that reaches services in both clusters by name
// through Kedge.Client. Exits 0 when every call succeeded.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Kedge.Client;
using Kedge.Client.Configuration;
using Kedge.Client.Grpc;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Kedge.Server.Configuration;
using Kedge.Server.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

using var dir = new TempDirectory();
using var ca = TestCertificateAuthority.Create("Kedge Demo CA");

Console.WriteLine("Starting two clusters on loopback, each behind its own kedge (mTLS required)...");
await using var clusterA = await DemoCluster.StartAsync("cluster-a", ca, dir);
await using var clusterB = await DemoCluster.StartAsync("cluster-b", ca, dir);

var (certFile, keyFile) = TestCertificateAuthority.WritePem(ca.IssueClientCertificate("demo-caller", "spiffe://cluster-a/ns/demo/sa/caller"), dir.Combine("client-tls"));
var caFile = ca.WriteCaPem(dir.Path);
var tokenFile = dir.Combine("token");
await File.WriteAllTextAsync(tokenFile, "demo-mesh-token\n");

// The same shape as the "Kedge" configuration section (see src/Kedge.Client/README.md).
var services = new ServiceCollection();
services.AddKedgeClient(options =>
{
    options.Routes.Add(ClusterRoute("cluster-a", clusterA));
    options.Routes.Add(ClusterRoute("cluster-b", clusterB));
    options.ClientCertificate = new KedgeClientCertificateOptions { CertificateFile = certFile, KeyFile = keyFile };
    options.KedgeCaFiles.Add(caFile);
    options.TokenSources["mesh-token"] = new KedgeTokenSourceOptions { File = tokenFile };
});
services.AddHttpClient("mesh").AddKedge();
await using var provider = services.BuildServiceProvider();
provider.GetRequiredService<IStartupValidator>().Validate();
var kedge = provider.GetRequiredService<KedgeClient>();
var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient("mesh");

string KedgeName(KedgeRoute? route) => route is null ? "(direct)"
    : route.KedgeUrl.Port == clusterA.Kedge.ProxyPort ? $"A {route.KedgeUrl.Authority}" : $"B {route.KedgeUrl.Authority}";

var results = new List<(string Target, string Kedge, string Protocol, string Status, double Ms, bool Ok)>();

async Task CallHttpAsync(string url, Version version)
{
    var uri = new Uri(url);
    var kedgeUsed = KedgeName(kedge.Mapper.Map(uri.IdnHost, uri.IsDefaultPort ? null : uri.Port));
    var watch = Stopwatch.StartNew();
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = version };
        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);
        // Kedge sees the original authority: the port when given, and :443 for https on its default port.
        var expectedAuthority = uri.Scheme == "http" && uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        var ok = response.IsSuccessStatusCode && echo!.Host == expectedAuthority;
        results.Add((url, kedgeUsed, $"{(response.Version.Major >= 2 ? "h2" : "h1")} / {(echo!.Protocol == "HTTP/2" ? "h2" : "h1")}", $"{(int)response.StatusCode} {response.StatusCode}", watch.Elapsed.TotalMilliseconds, ok));
    }
    catch (Exception ex)
    {
        results.Add((url, kedgeUsed, $"HTTP/{version}", $"error: {ex.Message}", watch.Elapsed.TotalMilliseconds, false));
    }
}

async Task CallGrpcAsync(string target)
{
    var parts = target.Split(':');
    var kedgeUsed = KedgeName(kedge.Mapper.Map(parts[0], parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : null));
    var watch = Stopwatch.StartNew();
    try
    {
        using var channel = KedgeChannel.ForService(target, provider);
        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "demo" }, deadline: DateTime.UtcNow.AddSeconds(10));
        results.Add((target, kedgeUsed, "gRPC h2 / h2c", "OK", watch.Elapsed.TotalMilliseconds, reply.Authority == target));
    }
    catch (Exception ex)
    {
        results.Add((target, kedgeUsed, "gRPC h2 / h2c", $"error: {ex.Message}", watch.Elapsed.TotalMilliseconds, false));
    }
}

await CallHttpAsync("http://orders.shop.svc.cluster-a.kedge/v1/orders", HttpVersion.Version11);
await CallHttpAsync("http://orders.shop.svc.cluster-a.kedge:8080/v1/orders", HttpVersion.Version20);
await CallHttpAsync("http://users.auth.svc.cluster-b.kedge/v1/users", HttpVersion.Version11);
await CallHttpAsync("https://users.auth.svc.cluster-b.kedge/v1/users", HttpVersion.Version20);
await CallGrpcAsync("greeter.hello.svc.cluster-a.kedge:8081");
await CallGrpcAsync("greeter.hello.svc.cluster-b.kedge:8081");

Console.WriteLine();
Console.WriteLine("protocol: caller to kedge (TLS) / kedge to backend");
Console.WriteLine($"{"target",-56} {"kedge used",-20} {"protocol",-14} {"status",-10} {"latency",9}");
Console.WriteLine(new string('-', 113));
foreach (var r in results)
{
    Console.WriteLine($"{r.Target,-56} {r.Kedge,-20} {r.Protocol,-14} {r.Status,-10} {r.Ms,6:F1} ms{(r.Ok ? "" : "  <-- FAILED")}");
}

var failed = results.Count(r => !r.Ok);
Console.WriteLine();
Console.WriteLine(failed == 0 ? $"All {results.Count} calls succeeded." : $"{failed} of {results.Count} calls failed.");
if (args.Contains("--serve"))
{
    await ServeForWinchAsync();
}

return failed == 0 ? 0 : 1;

// --serve: keep both clusters up and print how to reach them through winch (the README's winch walkthrough).
async Task ServeForWinchAsync()
{
    var mapper = dir.Combine("winch-mapper.json");
    var auth = dir.Combine("winch-auth.json");
    string Route(string cluster, DemoCluster kedge) =>
        $$"""{"regexp": {"exp": "^[a-z0-9-]+\\.[a-z0-9-]+\\.svc\\.{{cluster}}\\.kedge(:[0-9]+)?$", "url": "https://localhost:{{kedge.Kedge.ProxyPort}}"}, "proxy_auth": "mesh"}""";
    await File.WriteAllTextAsync(mapper, $$"""{"routes": [{{Route("cluster-a", clusterA)}}, {{Route("cluster-b", clusterB)}}]}""");
    await File.WriteAllTextAsync(auth, """{"auth_sources": [{"name": "mesh", "token": {"token": "demo-mesh-token"}}]}""");
    Console.WriteLine();
    Console.WriteLine("Both clusters stay up until Ctrl+C. Start winch in another terminal:");
    Console.WriteLine();
    Console.WriteLine($"  dotnet run --project src/Kedge.Winch -- --server_mapper_config_path={mapper} --server_auth_config_path={auth} \\");
    Console.WriteLine($"    --client_tls_cert_file={certFile} --client_tls_key_file={keyFile} --client_tls_root_ca_files={caFile}");
    Console.WriteLine();
    Console.WriteLine("then call the clusters by name through it:");
    Console.WriteLine();
    Console.WriteLine("  curl -x http://127.0.0.1:8070 http://orders.shop.svc.cluster-a.kedge/v1/orders");
    Console.WriteLine("  HTTP_PROXY=http://127.0.0.1:8070 curl -i http://users.auth.svc.cluster-b.kedge/v1/users");
    Console.WriteLine("  curl http://127.0.0.1:8070/wpad.dat");
    var stop = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.TrySetResult();
    };
    await stop.Task;
}

static KedgeRouteOptions ClusterRoute(string cluster, DemoCluster kedge) => new()
{
    Regex = new KedgeRegexRouteOptions
    {
        Pattern = $@"^[a-z0-9-]+\.[a-z0-9-]+\.svc\.{cluster}\.kedge(:[0-9]+)?$",
        Url = $"https://localhost:{kedge.Kedge.ProxyPort}",
    },
    ProxyAuth = "mesh-token",
};

/// <summary>One "cluster": an echo service, a greeter and the kedge in front of them.</summary>
internal sealed class DemoCluster : IAsyncDisposable
{
    private DemoCluster(LoopbackServer echo, LoopbackServer greeter, KedgeServer kedge)
    {
        Echo = echo;
        Greeter = greeter;
        Kedge = kedge;
    }

    public LoopbackServer Echo { get; }

    public LoopbackServer Greeter { get; }

    public KedgeServer Kedge { get; }

    public static async Task<DemoCluster> StartAsync(string name, TestCertificateAuthority ca, TempDirectory dir)
    {
        var echo = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http1 });
        var greeter = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = HttpProtocols.Http2 });
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate($"kedge.{name}.demo"), dir.Combine(name));
        var kedge = KedgeServerApp.Build(
            new KedgeServerSettings
            {
                BindAddress = "127.0.0.1",
                HttpTlsPort = KedgeServerSettings.AnyFreePort,
                GrpcTlsPort = 0,
                HttpPort = KedgeServerSettings.AnyFreePort,
                TlsCertFile = cert,
                TlsKeyFile = key,
                TlsClientCaFiles = [ca.WriteCaPem(dir.Path)],
            },
            builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await kedge.StartAsync();
        var errors = await kedge.ApplyAsync(new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "echo", Host = $"orders.shop.svc.{name}.kedge" }, new() { Backend = "echo", Host = $"users.auth.svc.{name}.kedge" }],
            GrpcRoutes = [new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter", AuthorityHost = $"greeter.hello.svc.{name}.kedge" }],
            HttpBackends = [new() { Name = "echo", Static = new() { Addresses = [$"127.0.0.1:{echo.Port}"] } }],
            GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{greeter.Port}"] } }],
        });
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join('\n', errors));
        }

        return new DemoCluster(echo, greeter, kedge);
    }

    public async ValueTask DisposeAsync()
    {
        await Kedge.DisposeAsync();
        await Echo.DisposeAsync();
        await Greeter.DisposeAsync();
    }
}
