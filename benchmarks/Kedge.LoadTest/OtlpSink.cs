using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Kedge.LoadTest;

/// <summary>
/// A local OTLP/HTTP trace receiver that accepts and discards: <c>POST /v1/traces</c> answers 200 with an empty
/// <c>application/x-protobuf</c> body (an empty ExportTraceServiceResponse, i.e. full success). It counts the export
/// calls and bytes, so a run shows that spans were really sent.
/// </summary>
internal sealed class OtlpSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _exports;
    private long _bytes;

    private OtlpSink(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public long Exports => Interlocked.Read(ref _exports);

    public long Bytes => Interlocked.Read(ref _bytes);

    public static async Task<OtlpSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var sink = new OtlpSink(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                Interlocked.Add(ref sink._bytes, read);
            }

            Interlocked.Increment(ref sink._exports);
            context.Response.ContentType = "application/x-protobuf";
            context.Response.ContentLength = 0;
        });
        await app.StartAsync();
        sink.Port = new Uri(app.Urls.First()).Port;
        return sink;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
