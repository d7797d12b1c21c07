using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Kedge.Common.Checks;
using Kedge.Winch.Internal;

namespace Kedge.Winch.Checks;

/// <summary>
/// The lines of one kedge: its host resolves, it accepts a TCP connection, the TLS handshake succeeds with winch's
/// client certificate and CA settings (kedge's certificate names the host, chains to the CAs, has not expired), and kedge
/// accepts the client certificate. With TLS 1.3 a server refuses a client certificate only after the handshake, on the
/// client's first read, so the last line comes from a real request.
/// </summary>
internal static class KedgeConnectionChecks
{
    private static readonly List<SslApplicationProtocol> Protocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    public static CheckDefinition For(KedgeCheckTarget kedge, WinchCheckContext context)
        // The stages share the check's time and report which one ran out; the runner's own limit is the safety net.
        => new(kedge.Area, "connection", cancellationToken => RunAsync(kedge, context, cancellationToken), context.Timeout + TimeSpan.FromSeconds(1));

    private static async Task<IReadOnlyList<CheckResult>> RunAsync(KedgeCheckTarget kedge, WinchCheckContext context, CancellationToken cancellationToken)
    {
        var lines = new List<CheckResult>();
        using var timer = new CancellationTokenSource(context.Timeout, context.TimeProvider);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        var stage = "dns";
        try
        {
            await RunStagesAsync(kedge, context, lines, s => stage = s, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            lines.Add(CheckResult.Fail(kedge.Area, stage, $"no answer within {context.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s from {kedge.Url.Authority}",
                "a firewall that drops packets answers nothing: check the network path to kedge, or give the checks more time with --timeout"));
        }

        return lines;
    }

    private static async Task RunStagesAsync(KedgeCheckTarget kedge, WinchCheckContext context, List<CheckResult> lines, Action<string> stage, CancellationToken cancellationToken)
    {
        var area = kedge.Area;
        var url = kedge.Url;
        var host = url.IdnHost.Trim('[', ']');
        var port = url.Port;

        // DNS
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
            lines.Add(CheckResult.Pass(area, "dns", $"{host} is an IP address; nothing to resolve"));
        }
        else
        {
            try
            {
                addresses = await context.ResolveHostAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                lines.Add(CheckResult.Fail(area, "dns", $"{host} does not resolve on this machine ({ex.SocketErrorCode}: {ex.Message}); the kedge URL comes from {kedge.UsedByText}",
                    $"check the kedge host name in {kedge.UsedByText}, or join the network or VPN where it resolves (try: getent hosts {host})"));
                return;
            }

            if (addresses.Length == 0)
            {
                lines.Add(CheckResult.Fail(area, "dns", $"{host} resolves to no addresses; the kedge URL comes from {kedge.UsedByText}", $"check the DNS records of {host}"));
                return;
            }

            lines.Add(CheckResult.Pass(area, "dns", $"{host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}"));
        }

        // TCP
        stage("tcp connect");
        var started = context.TimeProvider.GetTimestamp();
        IPEndPoint? reached = null;
        var refusals = new List<string>();
        foreach (var address in addresses)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            var endPoint = new IPEndPoint(address, port);
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                reached = endPoint;
                break;
            }
            catch (SocketException ex)
            {
                refusals.Add($"{endPoint}: {ex.Message}");
            }
        }

        if (reached is null)
        {
            lines.Add(CheckResult.Fail(area, "tcp connect", $"nothing accepts connections at {url.Authority} ({string.Join("; ", refusals)})",
                $"start kedge, or correct the port in the kedge URL of {kedge.UsedByText} (kedge's TLS port); a firewall may also refuse the connection"));
            return;
        }

        lines.Add(CheckResult.Pass(area, "tcp connect", $"connected to {reached} in {Milliseconds(context.TimeProvider.GetElapsedTime(started))} ms"));
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            lines.Add(CheckResult.Warn(area, "tls", $"{url.GetLeftPart(UriPartial.Authority)} is plain text: no TLS and no client certificate, and winch sends no tokens to it",
                $"use the kedge's https:// URL in {kedge.UsedByText}; plain text is for local experiments only"));
            return;
        }

        // TLS
        stage("tls handshake");
        var serverName = host;
        using var handshake = new TlsHandshakeRecord();
        SslStream? stream = null;
        try
        {
            stream = await ConnectTlsAsync(reached, serverName, context, handshake, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            lines.Add(HandshakeFailed(kedge, context, handshake, serverName, ex));
            return;
        }

        string alpn;
        await using (stream.ConfigureAwait(false))
        {
            alpn = stream.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2 ? "h2" : "http/1.1";
            var server = handshake.Certificate!;
            lines.Add(context.Settings.ClientInsecure
                ? CheckResult.Warn(area, "tls handshake", $"{Tls(stream.SslProtocol)}, ALPN {alpn}; kedge's certificate {server.Subject} was NOT verified (--client_insecure)",
                    $"drop --client_insecure and give the CA of kedge's certificate in --client_tls_root_ca_files")
                : CheckResult.Pass(area, "tls handshake", $"{Tls(stream.SslProtocol)}, ALPN {alpn}; kedge's certificate {server.Subject} (issued by {server.Issuer}) verified for '{serverName}' against {context.TrustSource}"));
            lines.Add(CertificateExpiry.Line(area, "server certificate expiry", server, context.TimeProvider.GetUtcNow(), $"kedge's certificate {server.Subject}",
                "kedge's operators must renew its certificate (kedge check on that kedge shows it too)"));
        }

        // The client certificate: only a request shows whether kedge took it.
        stage("client certificate accepted");
        lines.Add(await CheckClientCertificateAcceptedAsync(kedge, context, reached, serverName, alpn, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<SslStream> ConnectTlsAsync(IPEndPoint endPoint, string serverName, WinchCheckContext context, TlsHandshakeRecord record, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = Protocols,
            ClientCertificateContext = context.ClientCertificate?.Context,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = context.Settings.ClientInsecure ? null : context.Trust?.CreateChainPolicy(),
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                record.Capture(certificate, chain, errors);
                return context.Settings.ClientInsecure || errors == SslPolicyErrors.None;
            },
        };
        try
        {
            await stream.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return stream;
    }

    private static CheckResult HandshakeFailed(KedgeCheckTarget kedge, WinchCheckContext context, TlsHandshakeRecord handshake, string serverName, Exception ex)
    {
        var area = kedge.Area;
        var message = ExceptionMessages.Chain(ex);
        if (handshake.Certificate is { } server && handshake.Errors != SslPolicyErrors.None && !context.Settings.ClientInsecure)
        {
            if (handshake.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                return CheckResult.Fail(area, "tls handshake", $"kedge's certificate {server.Subject} does not name '{serverName}' (it names {Names(server)})",
                    $"use a name the certificate carries in the kedge URL of {kedge.UsedByText}, or have kedge's certificate include '{serverName}'");
            }

            return CheckResult.Fail(area, "tls handshake", $"kedge's certificate {server.Subject} (issued by {server.Issuer}) does not chain to {context.TrustSource}: {string.Join(", ", handshake.ChainStatus)}",
                "give the CA that issued kedge's certificate in --client_tls_root_ca_files (winch trusts only those files when the flag is set)");
        }

        if (handshake.Certificate is not null)
        {
            // kedge's certificate was fine; kedge ended the handshake: with TLS 1.2 that is how it refuses a client certificate.
            return ClientCertificateRefused(kedge, context, message);
        }

        return CheckResult.Fail(area, "tls handshake", $"the TLS handshake with {kedge.Url.Authority} failed before kedge showed a certificate: {message}",
            $"check that {kedge.Url.Authority} is kedge's TLS port (not a plain-HTTP or admin port)");
    }

    private static async Task<CheckResult> CheckClientCertificateAcceptedAsync(KedgeCheckTarget kedge, WinchCheckContext context, IPEndPoint endPoint, string serverName, string alpn, CancellationToken cancellationToken)
    {
        // Whether winch's certificate went out is the connection's fact, not the configuration's: kedge may not ask for one.
        var sentCertificate = false;
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (_, token) =>
            {
                using var record = new TlsHandshakeRecord();
                var stream = await ConnectTlsAsync(endPoint, serverName, context, record, token).ConfigureAwait(false);
                sentCertificate |= stream.LocalCertificate is not null;
                return stream;
            },
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{kedge.Url.Authority}/")
        {
            Version = alpn == "h2" ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var answered = $"HTTP {((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)} for GET / by its own name";
            return context.ClientCertificate switch
            {
                { } certificate when sentCertificate => CheckResult.Pass(kedge.Area, "client certificate accepted", $"kedge took {certificate.Leaf.Subject} and answered a request ({answered})"),
                { } certificate => CheckResult.Pass(kedge.Area, "client certificate accepted",
                    $"kedge did not ask for a client certificate, so winch did not send {certificate.Leaf.Subject}; kedge answered a request ({answered}); routes that need a client certificate answer 401"),
                null => CheckResult.Pass(kedge.Area, "client certificate accepted", $"winch has no client certificate and kedge answered anyway ({answered}); routes that need one answer 401"),
            };
        }
        catch (HttpRequestException ex)
        {
            return ClientCertificateRefused(kedge, context, ExceptionMessages.Chain(ex));
        }
    }

    private static CheckResult ClientCertificateRefused(KedgeCheckTarget kedge, WinchCheckContext context, string message)
    {
        if (context.ClientCertificate is not { } certificate)
        {
            return CheckResult.Fail(kedge.Area, "client certificate accepted", $"kedge ended the connection after the TLS handshake and winch has no client certificate: kedge requires one ({message})",
                "give winch the certificate kedge expects with --client_tls_cert_file and --client_tls_key_file");
        }

        var leaf = certificate.Leaf;
        return CheckResult.Fail(kedge.Area, "client certificate accepted",
            $"kedge refused the client certificate {leaf.Subject} (issued by {leaf.Issuer}, from {context.Settings.ClientCertFile}): it ended the connection after the TLS handshake ({message})",
            $"kedge does not trust the CA that issued {context.Settings.ClientCertFile}: use a certificate from a CA in kedge's client CA files, or have kedge's operators add {leaf.Issuer}");
    }

    private static string Names(X509Certificate2 certificate)
    {
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        var names = san is null ? [] : san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(a => a.ToString())).ToList();
        return names.Count == 0 ? "no subject alternative names" : string.Join(", ", names);
    }

    private static string Tls(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLS 1.3",
        SslProtocols.Tls12 => "TLS 1.2",
        _ => protocol.ToString(),
    };

    private static string Milliseconds(TimeSpan elapsed) => Math.Round(elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}
