using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Kedge.Testing.Otlp.Proto;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Sdk;

namespace Kedge.Testing.Otlp;

/// <summary>
/// An OpenTelemetry collector stand-in on loopback that keeps every span it is sent: OTLP/gRPC
/// (<c>TraceService/Export</c> over h2c, the .NET exporter's default protocol) on <see cref="GrpcEndpoint"/> and
/// OTLP/HTTP (<c>POST /v1/traces</c>, <c>application/x-protobuf</c>, what <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>
/// sends) on <see cref="HttpEndpoint"/>.
/// </summary>
/// <remarks>
/// Two ports because a cleartext Kestrel endpoint speaks either HTTP/1.1 or HTTP/2 (prior knowledge), not both, and
/// the OTLP/HTTP exporter posts with HTTP/1.1.
/// </remarks>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    public const string GrpcTransport = "grpc";
    public const string HttpTransport = "http";
    private const string ProtobufContentType = "application/x-protobuf";

    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private WebApplication? _app;
    private int _grpcExports;
    private int _httpExports;

    private OtlpTraceReceiver()
    {
    }

    /// <summary><c>http://127.0.0.1:port</c>, HTTP/2 only: the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with the gRPC protocol.</summary>
    public Uri GrpcEndpoint { get; private set; } = null!;

    /// <summary><c>http://127.0.0.1:port</c>, HTTP/1.1: the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with <c>http/protobuf</c> (the exporter appends <c>/v1/traces</c>).</summary>
    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>How many export calls arrived over OTLP/gRPC.</summary>
    public int GrpcExports => Volatile.Read(ref _grpcExports);

    /// <summary>How many export posts arrived over OTLP/HTTP.</summary>
    public int HttpExports => Volatile.Read(ref _httpExports);

    /// <summary>Every span received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedSpan> Spans => _spans.ToArray();

    public static async Task<OtlpTraceReceiver> StartAsync(ILoggerProvider? logs = null)
    {
        var receiver = new OtlpTraceReceiver();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(OtlpTraceReceiver).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        ListenOptions? grpc = null;
        ListenOptions? http = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                grpc = listen;
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                http = listen;
            });
        });
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(receiver);

        var app = builder.Build();
        app.MapGrpcService<OtlpTraceService>();
        app.MapPost("/v1/traces", receiver.ExportOverHttpAsync);
        await app.StartAsync().ConfigureAwait(false);
        receiver._app = app;

        // Kestrel writes the port the OS chose back into each ListenOptions when it binds.
        receiver.GrpcEndpoint = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{grpc!.IPEndPoint!.Port}"));
        receiver.HttpEndpoint = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{http!.IPEndPoint!.Port}"));
        return receiver;
    }

    /// <summary>The spans of one trace (<paramref name="traceId"/> in hex, either case).</summary>
    public IReadOnlyList<ReceivedSpan> SpansOfTrace(string traceId)
        => Spans.Where(s => string.Equals(s.TraceId, traceId, StringComparison.OrdinalIgnoreCase)).ToArray();

    /// <summary>
    /// Waits until the spans received so far satisfy <paramref name="accept"/> and returns them; on timeout the failure
    /// lists every span received, so the message shows what did arrive.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(
        Func<IReadOnlyList<ReceivedSpan>, bool> accept, string because, TimeSpan? timeout = null)
    {
        try
        {
            return await Eventually.ValueAsync(() => Task.FromResult(Spans), accept, because, timeout).ConfigureAwait(false);
        }
        catch (XunitException ex)
        {
            throw new XunitException($"{ex.Message}\n{Describe(Spans)}", ex.InnerException);
        }
    }

    /// <summary>One line per span, for failure messages.</summary>
    public static string Describe(IEnumerable<ReceivedSpan> spans)
    {
        var lines = spans.Select(s => "  " + s).ToArray();
        return lines.Length == 0 ? "no spans received" : $"{lines.Length} span(s) received:\n{string.Join('\n', lines)}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal void Add(ExportTraceServiceRequest request, string transport)
    {
        Interlocked.Increment(ref transport == GrpcTransport ? ref _grpcExports : ref _httpExports);
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = ToDictionary(resourceSpans.Resource?.Attributes ?? []);
            var serviceName = resource.TryGetValue("service.name", out var name) ? name : "";
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan
                    {
                        TraceId = Convert.ToHexStringLower(span.TraceId.Span),
                        SpanId = Convert.ToHexStringLower(span.SpanId.Span),
                        ParentSpanId = Convert.ToHexStringLower(span.ParentSpanId.Span),
                        Name = span.Name,
                        Kind = ToActivityKind(span.Kind),
                        ServiceName = serviceName,
                        ScopeName = scopeSpans.Scope?.Name ?? "",
                        Attributes = ToDictionary(span.Attributes),
                        ResourceAttributes = resource,
                        Events = span.Events.Select(e => new ReceivedSpanEvent(e.Name, ToDictionary(e.Attributes))).ToArray(),
                        Status = (ActivityStatusCode)(int)(span.Status?.Code ?? Proto.Status.Types.StatusCode.Unset),
                        StatusMessage = span.Status?.Message ?? "",
                        Transport = transport,
                    });
                }
            }
        }
    }

    private async Task ExportOverHttpAsync(HttpContext context)
    {
        if (!string.Equals(context.Request.ContentType, ProtobufContentType, StringComparison.OrdinalIgnoreCase))
        {
            // OTLP/JSON is a different encoding of the same messages; the tests only expect protobuf.
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        var body = context.Request.Body;
        if (string.Equals(context.Request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            body = new GZipStream(body, CompressionMode.Decompress);
        }

        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        ExportTraceServiceRequest request;
        try
        {
            request = ExportTraceServiceRequest.Parser.ParseFrom(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (InvalidProtocolBufferException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Add(request, HttpTransport);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ProtobufContentType;
        await context.Response.Body.WriteAsync(new ExportTraceServiceResponse().ToByteArray(), context.RequestAborted).ConfigureAwait(false);
    }

    private static ActivityKind ToActivityKind(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Server => ActivityKind.Server,
        Span.Types.SpanKind.Client => ActivityKind.Client,
        Span.Types.SpanKind.Producer => ActivityKind.Producer,
        Span.Types.SpanKind.Consumer => ActivityKind.Consumer,
        _ => ActivityKind.Internal,
    };

    private static Dictionary<string, string> ToDictionary(IEnumerable<KeyValue> attributes)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = ToText(attribute.Value);
        }

        return result;
    }

    // An array (a string[] tag) as its items joined with commas.
    private static string ToText(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => string.Join(",", value.ArrayValue.Values.Select(ToText)),
        _ => "",
    };
}
