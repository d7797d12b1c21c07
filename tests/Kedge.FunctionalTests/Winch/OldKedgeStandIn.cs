using System.Diagnostics;
using Kedge.Testing;

namespace Kedge.FunctionalTests.Winch;

/// <summary>
/// A stand-in for a kedge whose HTTP/2 lacks extended CONNECT (as Go kedge's), or that speaks HTTP/1.1 only: a Node.js
/// TLS server on loopback (port 0, read back from its output) that offers <paramref name="alpn"/>, answers every HTTP/2
/// stream 404 without ever advertising <c>SETTINGS_ENABLE_CONNECT_PROTOCOL</c>, and passes an HTTP/1.1 upgrade on, head
/// and bytes, to a plain backend, the way a kedge route would.
/// </summary>
internal sealed class OldKedgeStandIn : IAsyncDisposable
{
    private const string Script = """
        const [tls, http, http2, net, fs] = ['tls', 'http', 'http2', 'net', 'fs'].map(require);
        const [keyFile, certFile, backendPort, alpn] = process.argv.slice(2);
        const h2 = http2.createServer();
        h2.on('stream', stream => { stream.respond({ ':status': 404 }); stream.end(); });
        const h1 = http.createServer((req, res) => { res.writeHead(404); res.end(); });
        h1.on('upgrade', (req, socket, head) => {
          const backend = net.connect(+backendPort, '127.0.0.1', () => {
            let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
            for (let i = 0; i < req.rawHeaders.length; i += 2) text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
            backend.write(text + '\r\n');
            if (head.length) backend.write(head);
            socket.pipe(backend); backend.pipe(socket);
          });
          backend.on('error', () => socket.destroy()); socket.on('error', () => backend.destroy());
        });
        const server = tls.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile), ALPNProtocols: alpn.split(',') },
          socket => (socket.alpnProtocol === 'h2' ? h2 : h1).emit('connection', socket));
        server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
        """;

    private readonly Process _process;

    private OldKedgeStandIn(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<OldKedgeStandIn> StartAsync(TestCertificateAuthority ca, TempDirectory dir, int backendPort, string alpn)
    {
        var folder = dir.Combine("old-kedge-" + alpn.Replace(',', '-'));
        var (cert, key) = TestCertificateAuthority.WritePem(ca.IssueServerCertificate("kedge.test"), folder);
        var script = Path.Combine(folder, "old-kedge.js");
        await File.WriteAllTextAsync(script, Script);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, key, cert, backendPort.ToString(System.Globalization.CultureInfo.InvariantCulture), alpn })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the Node.js stand-in did not start: {line} {await process.StandardError.ReadToEndAsync()}");
        }

        return new OldKedgeStandIn(process, int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
