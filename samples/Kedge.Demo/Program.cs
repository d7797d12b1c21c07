// Kedge demo: two "clusters" on loopback, each a kedge stand-in (mTLS, HTTP/1.1 + HTTP/2, an echo service and a
// gRPC greeter), and a caller that reaches services in both by name through Kedge.Client.
// Exits 0 when every call succeeded.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Kedge.Client;
using Kedge.Client.Configuration;
using Kedge.Client.Grpc;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

using var dir = new TempDirectory();
using var ca = TestCertificateAuthority.Create("Kedge Demo CA");

Console.WriteLine("Starting two clusters on loopback, each behind its own kedge (mTLS required)...");
await using var clusterA = await StartKedgeAsync(ca, "kedge.cluster-a.demo");
await using var clusterB = await StartKedgeAsync(ca, "kedge.cluster-b.demo");

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
    : route.KedgeUrl.Port == clusterA.Port ? $"A {route.KedgeUrl.Authority}" : $"B {route.KedgeUrl.Authority}";

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
        results.Add((url, kedgeUsed, echo!.Protocol, $"{(int)response.StatusCode} {response.StatusCode}", watch.Elapsed.TotalMilliseconds, ok));
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
        results.Add((target, kedgeUsed, "gRPC (HTTP/2)", "OK", watch.Elapsed.TotalMilliseconds, reply.Authority == target));
    }
    catch (Exception ex)
    {
        results.Add((target, kedgeUsed, "gRPC (HTTP/2)", $"error: {ex.Message}", watch.Elapsed.TotalMilliseconds, false));
    }
}

await CallHttpAsync("http://orders.shop.svc.cluster-a.kedge/v1/orders", HttpVersion.Version11);
await CallHttpAsync("http://orders.shop.svc.cluster-a.kedge:8080/v1/orders", HttpVersion.Version20);
await CallHttpAsync("http://users.auth.svc.cluster-b.kedge/v1/users", HttpVersion.Version11);
await CallHttpAsync("https://users.auth.svc.cluster-b.kedge/v1/users", HttpVersion.Version20);
await CallGrpcAsync("greeter.hello.svc.cluster-a.kedge:8081");
await CallGrpcAsync("greeter.hello.svc.cluster-b.kedge:8081");

Console.WriteLine();
Console.WriteLine($"{"target",-56} {"kedge used",-20} {"protocol",-14} {"status",-10} {"latency",9}");
Console.WriteLine(new string('-', 113));
foreach (var r in results)
{
    Console.WriteLine($"{r.Target,-56} {r.Kedge,-20} {r.Protocol,-14} {r.Status,-10} {r.Ms,6:F1} ms{(r.Ok ? "" : "  <-- FAILED")}");
}

var failed = results.Count(r => !r.Ok);
Console.WriteLine();
Console.WriteLine(failed == 0 ? $"All {results.Count} calls succeeded." : $"{failed} of {results.Count} calls failed.");
return failed == 0 ? 0 : 1;

static async Task<LoopbackServer> StartKedgeAsync(TestCertificateAuthority ca, string name) =>
    await LoopbackServer.StartAsync(new LoopbackServerOptions
    {
        ServerCertificate = ca.IssueServerCertificate(name),
        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
        ClientCertificateAuthority = ca,
    });

static KedgeRouteOptions ClusterRoute(string cluster, LoopbackServer kedge) => new()
{
    Regex = new KedgeRegexRouteOptions
    {
        Pattern = $@"^[a-z0-9-]+\.[a-z0-9-]+\.svc\.{cluster}\.kedge(:[0-9]+)?$",
        Url = kedge.BaseAddress.ToString().TrimEnd('/'),
    },
    ProxyAuth = "mesh-token",
};
