using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Kedge.Server.Observability;

/// <summary>
/// Counts the response body bytes for the access log while leaving the server's own response body feature in charge.
/// Replacing <c>Response.Body</c> instead would put ASP.NET's stream feature in between, whose <c>CompleteAsync</c> never
/// reaches Kestrel: YARP completes a streaming response before it waits for the caller's request body, so a bidi call the
/// backend ended first would never end for the caller.
/// </summary>
internal sealed class ByteCountingResponseBodyFeature(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
{
    private ByteCountingStream? _stream;
    private ByteCountingPipeWriter? _writer;

    public long Count => (_stream?.Count ?? 0) + (_writer?.Count ?? 0) + SentFileBytes;

    public Stream Stream => _stream ??= new ByteCountingStream(inner.Stream);

    public PipeWriter Writer => _writer ??= new ByteCountingPipeWriter(inner.Writer);

    private long SentFileBytes { get; set; }

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => inner.CompleteAsync();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        SentFileBytes += count ?? Math.Max(0, new FileInfo(path).Length - offset);
        return inner.SendFileAsync(path, offset, count, cancellationToken);
    }
}
