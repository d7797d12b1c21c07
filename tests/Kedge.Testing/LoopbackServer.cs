using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kedge.Testing;

/// <summary>
/// A real Kestrel server on a loopback port chosen by the OS, with optional TLS and mTLS, HTTP/1.1 and HTTP/2 on one
/// port, the test greeter (gRPC) and an echo endpoint that reports what arrived (<see cref="EchoReport"/>).
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentQueue<string> _connectionIds = new();
    private WebApplication? _app;
    private int _requestCount;

    private LoopbackServer(LoopbackServerOptions options)
    {
        Options = options;
    }

    public LoopbackServerOptions Options { get; }

    public WebApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public int Port { get; private set; }

    /// <summary><c>https://localhost:port</c> with TLS, else <c>http://127.0.0.1:port</c> (or the IPv6 equivalents).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>How many TCP connections the server accepted.</summary>
    public int ConnectionCount => _connectionIds.Count;

    /// <summary>How many requests the server received.</summary>
    public int RequestCount => _requestCount;

    public static async Task<LoopbackServer> StartAsync(
        LoopbackServerOptions options,
        ILoggerProvider? logs = null,
        Action<WebApplication>? map = null)
    {
        var server = new LoopbackServer(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(LoopbackServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddGrpc();
        builder.Services.AddRouting();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AllowAlternateSchemes = options.AllowAlternateSchemes;
            kestrel.Listen(options.Address, 0, listen =>
            {
                listen.Protocols = options.Protocols;
                listen.Use(next => context =>
                {
                    server._connectionIds.Enqueue(context.ConnectionId);
                    return next(context);
                });
                if (options.ServerCertificate is not null || options.ServerCertificateSelector is not null)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificateSelector = (_, _) => options.ServerCertificateSelector?.Invoke() ?? options.ServerCertificate,
                        ClientCertificateMode = options.ClientCertificateMode,
                        SslProtocols = options.SslProtocols,
                        ClientCertificateValidation = (certificate, _, errors) =>
                            options.ClientCertificateAuthority?.Validates(certificate) ?? errors == System.Net.Security.SslPolicyErrors.None,
                    });
                }
            });
        });

        var app = builder.Build();
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref server._requestCount);
            return next(context);
        });
        app.MapGrpcService<GreeterService>();
        map?.Invoke(app);
        app.Map("/{**path}", EchoAsync);
        await app.StartAsync().ConfigureAwait(false);
        server._app = app;

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        var tls = options.ServerCertificate is not null || options.ServerCertificateSelector is not null;
        var host = options.Address.Equals(IPAddress.IPv6Loopback) ? "[::1]" : tls ? "localhost" : "127.0.0.1";
        server.BaseAddress = new Uri($"{(tls ? "https" : "http")}://{host}:{server.Port}");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reports what arrived, as JSON.</summary>
    public static async Task EchoAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in context.Request.Headers)
        {
            headers[name] = values.ToString();
        }

        var report = new EchoReport
        {
            Method = context.Request.Method,
            Path = context.Request.Path.Value ?? "",
            RawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "",
            Query = context.Request.QueryString.Value ?? "",
            Host = context.Request.Host.Value ?? "",
            Protocol = context.Request.Protocol,
            Scheme = context.Request.Scheme,
            Sni = context.Features.Get<ITlsHandshakeFeature>()?.HostName ?? "",
            ClientCertificateSubject = context.Connection.ClientCertificate?.Subject ?? "",
            ConnectionId = context.Connection.Id,
            Headers = headers,
            Body = body,
        };
        context.Response.StatusCode = (int)HttpStatusCode.OK;
        await context.Response.WriteAsJsonAsync(report, JsonOptions, context.RequestAborted).ConfigureAwait(false);
    }
}
