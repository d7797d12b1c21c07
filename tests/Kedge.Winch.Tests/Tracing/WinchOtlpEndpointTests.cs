using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using Kedge.Testing;
using Kedge.Winch.Commands;
using Kedge.Winch.Hosting;
using Kedge.Winch.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Kedge.Winch.Tests.Tracing;

[Collection(ProcessWideListeners.Name)]
public sealed class WinchOtlpEndpointTests : IAsyncLifetime
{
    private const string Mapper = """{"routes": [{"direct": {"key": "orders.shop.svc.cluster-b.internal:8080", "url": "{KEDGE}"}, "protocol": "HTTP"}]}""";

    private readonly TestLogSink _logs = new();
    private WinchTestEnvironment? _env;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_env is not null)
        {
            await _env.DisposeAsync();
        }

        _logs.Dispose();
    }

    [Fact]
    public async Task OtlpEndpointFlag_HttpProtobuf_IsABaseUrlAsInKedge()
    {
        var exports = new ConcurrentQueue<byte[]>();
        await using var receiver = await LoopbackServer.StartAsync(
            new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1 },
            _logs,
            app => app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                exports.Enqueue(body.ToArray());
                return Results.Empty;
            }));
        _env = await WinchTestEnvironment.StartAsync(
            _logs,
            Mapper,
            extraFlags: ["--otlp_endpoint=" + receiver.BaseAddress.ToString().TrimEnd('/')],
            configureHost: builder =>
            {
                builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                builder.Configuration["OTEL_BSP_SCHEDULE_DELAY"] = "100";
            });
        using var client = _env.CreateProxiedClient();

        (await client.GetAsync("http://orders.shop.svc.cluster-b.internal:8080/v1/orders")).Dispose();

        await Eventually.TrueAsync(
            () => exports.Any(e => e.AsSpan().IndexOf("Kedge.Winch"u8) >= 0),
            "winch exports to <--otlp_endpoint>/v1/traces, as the SDK does with OTEL_EXPORTER_OTLP_ENDPOINT");
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")]
    public void Build_InvalidOtlpEndpointVariable_FailsNamingTheVariableWithoutItsUserInfo(string variable)
    {
        var errors = new List<string>();
        var settings = WinchCommand.ReadSettings(["--server_http_port=0", "--server_grpc_port=0", "--server_mapper_config=" + Mapper.Replace("{KEDGE}", "https://kedge.example.test", StringComparison.Ordinal)], errors)!;

        var winch = WinchServer.Build(settings, errors, builder => builder.Configuration[variable] = "collector-bob:hunter2@otel:4317");

        Assert.Null(winch);
        var error = Assert.Single(errors);
        Assert.Contains(variable, error, StringComparison.Ordinal);
        Assert.Contains("http://", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogFormatJson_RelaxedEscapingAsInKedge()
    {
        _env = await WinchTestEnvironment.StartAsync(_logs, Mapper, extraFlags: ["--log_format=json"]);

        var options = _env.Winch.App.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;

        Assert.Same(JavaScriptEncoder.UnsafeRelaxedJsonEscaping, options.JsonWriterOptions.Encoder);
    }
}
