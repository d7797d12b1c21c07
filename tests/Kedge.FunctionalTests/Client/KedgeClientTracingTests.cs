using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Kedge.Client;
using Kedge.Client.Grpc;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kedge.FunctionalTests.Client;

[Collection(ProcessWideListeners.Name)]
public sealed class KedgeClientTracingTests : IAsyncLifetime
{
    private static readonly ActivitySource Caller = new("Kedge.Tests.Caller");
    private readonly TestLogSink _logs = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private KedgeStandIn _kedge = null!;
    private KedgeClient _client = null!;
    private ActivityListener? _listener;

    public async Task InitializeAsync()
    {
        _kedge = await KedgeStandIn.StartAsync(_logs, app =>
        {
            // Answers as Go kedge does for an unknown gRPC route over HTTPS: plain HTTP 502 with the error headers.
            app.Use(async (context, next) =>
            {
                if (context.Request.Host.Host != "refused.shop.svc.cluster-b.kedge")
                {
                    await next(context);
                    return;
                }

                context.Response.StatusCode = 502;
                context.Response.Headers["X-Kedge-Error"] = "unknown route to service";
                context.Response.Headers["X-Kedge-Error-Type"] = "no-route";
                await context.Response.WriteAsync("unknown route to service");
            });
        });
        _client = _kedge.CreateClient(_logs);
    }

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        _client.Dispose();
        await _kedge.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task SendAsync_Traced_SpanHasTargetKedgeAndRuleAndIsTheParentKedgeSees()
    {
        Listen(KedgeClientDiagnostics.ActivitySourceName, Caller.Name);
        using var http = new HttpClient(_client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge:8080/v1/orders?id=7");

        EchoReport? echo;
        Activity parent;
        using (parent = Caller.StartActivity("caller")!)
        {
            using var response = await http.SendAsync(request);
            echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);
        }

        var span = Assert.Single(_stopped, a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName && a.TraceId == parent.TraceId);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("kedge GET", span.DisplayName);
        Assert.Equal(parent.SpanId, span.ParentSpanId);
        Assert.Equal("orders.shop.svc.cluster-b.kedge:8080", span.GetTagItem("kedge.target"));
        Assert.Equal(_kedge.KedgeUrl.GetLeftPart(UriPartial.Authority), span.GetTagItem("kedge.url"));
        Assert.Equal(@"regexp mapper '\.kedge(:[0-9]+)?$'", span.GetTagItem("kedge.mapping_rule"));
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Null(span.GetTagItem("error.type"));

        // kedge's parent is the client span itself: one traceparent, no System.Net.Http span in between.
        Assert.Matches($"^00-{parent.TraceId}-{span.SpanId}-[0-9a-f]{{2}}$", echo!.Headers["traceparent"]);
        Assert.False(request.Headers.Contains("traceparent"));
    }

    [Fact]
    public async Task SendAsync_CallerSetTraceparent_SpanReplacesItForKedgeAndPutsItBack()
    {
        Listen(KedgeClientDiagnostics.ActivitySourceName);
        using var http = new HttpClient(_client.CreateHandler());
        const string callers = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/");
        request.Headers.TryAddWithoutValidation("traceparent", callers);

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        var span = Assert.Single(_stopped, a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName && a.GetTagItem("kedge.target") as string == "orders.shop.svc.cluster-b.kedge");
        Assert.Matches($"^00-{span.TraceId}-{span.SpanId}-[0-9a-f]{{2}}$", echo!.Headers["traceparent"]);
        Assert.Equal(callers, Assert.Single(request.Headers.GetValues("traceparent")));
    }

    [Fact]
    public async Task SendAsync_NoKedgeClientListener_SendsTheCurrentActivityUnchanged()
    {
        // Only the caller's own source is sampled: no Kedge.Client span, and kedge's parent is the caller's span rather
        // than a System.Net.Http span that nothing records.
        Listen(Caller.Name);
        using var http = new HttpClient(_client.CreateHandler());

        EchoReport? echo;
        Activity parent;
        using (parent = Caller.StartActivity("caller")!)
        {
            echo = await http.GetFromJsonAsync<EchoReport>("http://orders.shop.svc.cluster-b.kedge/", LoopbackServer.JsonOptions);
        }

        Assert.Equal(parent.Id, echo!.Headers["traceparent"]);
        Assert.DoesNotContain(_stopped, a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName);
    }

    [Fact]
    public async Task SendAsync_KedgeRefuses_SpanCarriesKedgeErrorType()
    {
        Listen(KedgeClientDiagnostics.ActivitySourceName);
        using var http = new HttpClient(_client.CreateHandler());

        using var response = await http.GetAsync("http://refused.shop.svc.cluster-b.kedge/kedge-error");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var span = Assert.Single(_stopped, a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName && a.GetTagItem("kedge.target") as string == "refused.shop.svc.cluster-b.kedge");
        Assert.Equal("no-route", span.GetTagItem("error.type"));
        Assert.Equal(502, span.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
    }

    [Fact]
    public async Task SendAsync_KedgeUnreachable_SpanCarriesExceptionType()
    {
        Listen(KedgeClientDiagnostics.ActivitySourceName);
        var port = _kedge.KedgeUrl.Port;
        await _kedge.Server.DisposeAsync();
        using var http = new HttpClient(_client.CreateHandler());

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync("http://gone.shop.svc.cluster-b.kedge/"));

        var span = Assert.Single(_stopped, a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName && a.GetTagItem("kedge.target") as string == "gone.shop.svc.cluster-b.kedge");
        Assert.Equal(typeof(HttpRequestException).FullName, span.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(port, span.GetTagItem("server.port"));
    }

    [Fact]
    public async Task GrpcCall_ThroughKedgeChannel_HasClientSpanPerCall()
    {
        Listen(KedgeClientDiagnostics.ActivitySourceName, Caller.Name);
        using var channel = KedgeChannel.ForService("greeter.shop.svc.cluster-b.kedge:8081", _client);
        var greeter = new Greeter.GreeterClient(channel);

        Activity parent;
        using (parent = Caller.StartActivity("caller")!)
        {
            await greeter.SayHelloAsync(new HelloRequest { Name = "one" });
            await greeter.SayHelloAsync(new HelloRequest { Name = "two" });
        }

        var spans = _stopped.Where(a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName && a.TraceId == parent.TraceId).ToList();
        Assert.Equal(2, spans.Count);
        Assert.All(spans, span =>
        {
            Assert.Equal("kedge POST", span.DisplayName);
            Assert.Equal(parent.SpanId, span.ParentSpanId);
            Assert.Equal("greeter.shop.svc.cluster-b.kedge:8081", span.GetTagItem("kedge.target"));
            Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        });
    }

    [Fact]
    public async Task GrpcCall_KedgeRefusesWithPlainHttpError_SpanCarriesKedgeErrorTypeAndGrpcStatus()
    {
        Listen(KedgeClientDiagnostics.ActivitySourceName);
        using var channel = KedgeChannel.ForService("refused.shop.svc.cluster-b.kedge:8081", _client);

        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "x" }).ResponseAsync);

        var span = Assert.Single(_stopped, a => a.Source.Name == KedgeClientDiagnostics.ActivitySourceName && a.GetTagItem("kedge.target") as string == "refused.shop.svc.cluster-b.kedge:8081");
        Assert.Equal("no-route", span.GetTagItem("error.type"));
        Assert.Equal((int)Grpc.Core.StatusCode.Unimplemented, span.GetTagItem("rpc.grpc.status_code"));
    }

    private void Listen(params string[] sources)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }
}
