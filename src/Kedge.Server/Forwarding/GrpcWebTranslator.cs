using Grpc.AspNetCore.Web;
using Kedge.Server.Configuration;
using Kedge.Server.Observability;
using Kedge.Server.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.Server.Forwarding;

/// <summary>
/// gRPC-Web → gRPC for the gRPC routes that ask for it (<see cref="GrpcRouteOptions.GrpcWeb"/>), in the manner of
/// Envoy's grpc_web filter: the call goes to the backend as gRPC over HTTP/2 (<c>content-type: application/grpc</c>,
/// <c>te: trailers</c>, no <c>content-length</c>), and the answer comes back as gRPC-Web (the trailers as the last
/// frame of the body, base64 for <c>application/grpc-web-text</c>). The framing is Grpc.AspNetCore.Web's middleware
/// (<c>UseGrpcWeb</c>, enabled for every call that enters), on a pipeline only translated calls enter; kedge adapts
/// the request so YARP can forward it (see <see cref="ForwardAsync"/>). CORS is not handled here: a preflight
/// (<c>OPTIONS</c>) is an HTTP request, routed by the HTTP routes.
/// </summary>
internal sealed class GrpcWebTranslator
{
    private static readonly object CallKey = new();

    private readonly RequestDelegate _pipeline;
    private readonly Func<HttpContext, KedgeSnapshot, GrpcRoute, Task> _forward;

    /// <param name="services">kedge's services (the middleware's logger).</param>
    /// <param name="forward">Authorizes and forwards the translated call as gRPC on its route.</param>
    public GrpcWebTranslator(IServiceProvider services, Func<HttpContext, KedgeSnapshot, GrpcRoute, Task> forward)
    {
        _forward = forward;
        var app = new ApplicationBuilder(services);
        app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        app.Run(ForwardAsync);
        _pipeline = app.Build();
    }

    /// <summary>
    /// A gRPC-Web call: a POST with <c>content-type: application/grpc-web</c> or <c>application/grpc-web-text</c>
    /// (with or without a <c>+proto</c>-style suffix). Grpc.AspNetCore.Web translates only POSTs.
    /// </summary>
    public static bool IsGrpcWeb(HttpRequest request)
        => HttpMethods.IsPost(request.Method)
            && request.ContentType is { } contentType
            && contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase);

    /// <summary>Translates the call and forwards it on <paramref name="route"/> of <paramref name="snapshot"/>.</summary>
    public Task TranslateAsync(HttpContext context, KedgeSnapshot snapshot, GrpcRoute route)
    {
        context.Items[CallKey] = (snapshot, route);
        return _pipeline(context);
    }

    // Inside UseGrpcWeb: the request is now gRPC (content type, protocol) and the middleware's features carry the body.
    private Task ForwardAsync(HttpContext context)
    {
        var (snapshot, route) = ((KedgeSnapshot, GrpcRoute))context.Items[CallKey]!;
        context.Items.Remove(CallKey);

        // The middleware replaces the body pipes only; YARP reads Request.Body and writes Response.Body (the
        // middleware's response Stream throws). Both are put over the translating pipes (base64 decoding of a -text
        // request, encoding of a -text answer; the middleware writes the trailers into the body after the last
        // message), by streams that use those pipes the way they need to be used.
        context.Request.Body = new GrpcWebRequestStream(context.Request.BodyReader);
        context.Response.Body = new GrpcWebResponseStream(context.Response.BodyWriter);

        // A -text body's length is not the decoded length; gRPC over HTTP/2 needs none (Envoy removes it too).
        context.Request.Headers.ContentLength = null;
        // gRPC needs te: trailers toward the backend; a gRPC-Web caller (a browser) does not send it.
        context.Request.Headers.TE = "trailers";

        // The trailers go into the body and the middleware's feature is gone when telemetry reads the call's status.
        if (context.Features.Get<KedgeRequestFeature>() is { } request)
        {
            request.GrpcWebTrailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        }

        return _forward(context, snapshot, route);
    }
}
