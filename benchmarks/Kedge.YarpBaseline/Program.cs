// The load harness's baseline: a minimal YARP app with one catch-all route, as a YARP user would write it.
// Usage: Kedge.YarpBaseline <port> <cert.pem> <key.pem> <http backend> [<h2c grpc backend>]
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

var port = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
var certificate = X509Certificate2.CreateFromPemFile(args[1], args[2]);
var builder = WebApplication.CreateBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, l =>
{
    l.Protocols = HttpProtocols.Http1AndHttp2;
    l.UseHttps(certificate);
}));
var routes = new List<RouteConfig> { new() { RouteId = "all", ClusterId = "backend", Match = new RouteMatch { Path = "{**catch-all}" } } };
var clusters = new List<ClusterConfig>
{
    new() { ClusterId = "backend", Destinations = new Dictionary<string, DestinationConfig> { ["b"] = new() { Address = args[3] } } },
};
if (args.Length > 4)
{
    routes.Add(new() { RouteId = "grpc", ClusterId = "grpc", Match = new RouteMatch { Path = "{**catch-all}", Headers = [new() { Name = "content-type", Values = ["application/grpc"], Mode = HeaderMatchMode.HeaderPrefix }] } });
    clusters.Add(new() { ClusterId = "grpc", HttpRequest = new ForwarderRequestConfig { Version = new Version(2, 0), VersionPolicy = HttpVersionPolicy.RequestVersionExact }, Destinations = new Dictionary<string, DestinationConfig> { ["g"] = new() { Address = args[4] } } });
}

builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
