using Kedge.Server.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Prometheus;

namespace Kedge.Server.Tests.Observability;

public sealed class KedgeMetricsEvictionTests
{
    [Fact]
    public async Task Record_AfterReloadRemovedTheRoute_NoSeriesOfTheRouteReappears()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new KedgeMetrics(registry, TimeProvider.System);
        var stats = metrics.StatsFor("orders", "orders", "grpc");
        // A request the route had begun before the reload.
        stats.Record(GrpcCall("/shop.Orders/Get", "0"), null, 200, 0.01, grpcStatus: 0);
        Assert.Contains("route=\"orders\"", await ExportAsync(registry), StringComparison.Ordinal);

        metrics.ConfigApplied([], []);
        Assert.DoesNotContain("route=\"orders\"", await ExportAsync(registry), StringComparison.Ordinal);
        Assert.DoesNotContain("grpc_method=\"Get\"", await ExportAsync(registry), StringComparison.Ordinal);
        // Requests that were still running on the old configuration finish now, with a new status class, method and code.
        stats.Record(GrpcCall("/shop.Orders/Get", "14"), "backend-down", 503, 0.01, grpcStatus: 14);
        stats.Record(GrpcCall("/shop.Orders/List", "0"), null, 200, 0.01, grpcStatus: 0);

        var after = await ExportAsync(registry);
        Assert.DoesNotContain("route=\"orders\"", after, StringComparison.Ordinal);
        Assert.DoesNotContain("http_route=\"orders\"", after, StringComparison.Ordinal);
        Assert.DoesNotContain("grpc_method=\"Get\"", after, StringComparison.Ordinal);
        Assert.DoesNotContain("grpc_method=\"List\"", after, StringComparison.Ordinal);
    }

    private static DefaultHttpContext GrpcCall(string path, string grpcStatus)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Protocol = "HTTP/2";
        context.Request.Path = path;
        context.Request.ContentType = "application/grpc";
        context.Response.StatusCode = 200;
        var trailers = new HeaderDictionary { ["grpc-status"] = grpcStatus };
        context.Features.Set<IHttpResponseTrailersFeature>(new TrailersFeature(trailers));
        return context;
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private sealed class TrailersFeature(IHeaderDictionary trailers) : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = trailers;
    }
}
