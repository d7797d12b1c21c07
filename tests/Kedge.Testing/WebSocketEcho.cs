using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kedge.Testing;

/// <summary>
/// A WebSocket echo endpoint for a <see cref="LoopbackServer"/>: its first message (text) reports what arrived
/// (<c>protocol=HTTP/2 host=… proxy-authorization=…</c>), then every message comes back as it was sent (type and bytes,
/// whole messages however large), and a close from the caller is answered with the same status and the description
/// <c>server bye</c>. The close status and description each caller sent are recorded in <see cref="ClosesReceived"/>.
/// </summary>
public sealed class WebSocketEcho
{
    public const string ServerCloseDescription = "server bye";

    /// <summary>The close status and description the server received, one per finished connection.</summary>
    public ConcurrentQueue<(WebSocketCloseStatus? Status, string? Description)> ClosesReceived { get; } = new();

    /// <summary>Maps the echo at <paramref name="path"/> (and turns WebSockets on for the app).</summary>
    public void Map(WebApplication app, string path = "/ws")
    {
        app.UseWebSockets();
        app.Map(path, EchoAsync);
    }

    /// <summary>The report the first message carries, for a test to compare with.</summary>
    public static string Report(string protocol, string host, string proxyAuthorization)
        => $"protocol={protocol} host={host} proxy-authorization={proxyAuthorization}";

    private async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var report = Report(context.Request.Protocol, context.Request.Host.Value ?? string.Empty, context.Request.Headers["Proxy-Authorization"].ToString());
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(report), WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                ClosesReceived.Enqueue((socket.CloseStatus, socket.CloseStatusDescription));
                await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, ServerCloseDescription, context.RequestAborted).ConfigureAwait(false);
                return;
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                await socket.SendAsync(message.GetBuffer().AsMemory(0, (int)message.Length), received.MessageType, endOfMessage: true, context.RequestAborted).ConfigureAwait(false);
                message.SetLength(0);
            }
        }
    }
}
