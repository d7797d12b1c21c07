using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kedge.Testing;

/// <summary>
/// A small authoritative DNS server on 127.0.0.1 (UDP) for resolver tests: answers SRV queries with the configured
/// records (plus their targets' addresses in the additional section) and A/AAAA queries; NXDOMAIN otherwise.
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TestDnsServer()
    {
        _loop = Task.Run(ServeAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    /// <summary>SRV records by name (lower-case, no trailing dot).</summary>
    public ConcurrentDictionary<string, (ushort Priority, ushort Weight, ushort Port, string Target)[]> Srv { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Addresses by name.</summary>
    public ConcurrentDictionary<string, IPAddress[]> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names answered with SERVFAIL for the given query type (1 = A, 28 = AAAA, 33 = SRV).</summary>
    public ConcurrentDictionary<(string Name, ushort Type), bool> ServerFailures { get; } = new();

    /// <summary>How many queries were answered.</summary>
    public int QueryCount => _queries;

    private int _queries;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _queries);
            var answer = Answer(received.Buffer);
            await _udp.SendAsync(answer, received.RemoteEndPoint, _stop.Token);
        }
    }

    private byte[] Answer(byte[] query)
    {
        var offset = 12;
        var name = ReadName(query, ref offset);
        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(offset));
        var questionEnd = offset + 4;

        var answers = new List<byte[]>();
        var additionals = new List<byte[]>();
        if (type == 33 && Srv.TryGetValue(name, out var records))
        {
            foreach (var (priority, weight, port, target) in records)
            {
                var rdata = new List<byte>();
                rdata.AddRange(U16(priority));
                rdata.AddRange(U16(weight));
                rdata.AddRange(U16(port));
                rdata.AddRange(EncodeName(target));
                answers.Add(Record([0xC0, 0x0C], 33, [.. rdata]));
                if (Addresses.TryGetValue(target, out var targetAddresses))
                {
                    additionals.AddRange(targetAddresses.Select(a => AddressRecord(EncodeName(target), a)));
                }
            }
        }
        else if ((type == 1 || type == 28) && Addresses.TryGetValue(name, out var addresses))
        {
            answers.AddRange(addresses
                .Where(a => (a.AddressFamily == AddressFamily.InterNetwork) == (type == 1))
                .Select(a => AddressRecord([0xC0, 0x0C], a)));
        }

        var known = Srv.ContainsKey(name) || Addresses.ContainsKey(name);
        var response = new List<byte>();
        response.AddRange(query.AsSpan(0, 2).ToArray()); // id
        var failed = ServerFailures.ContainsKey((name.ToLowerInvariant(), type));
        if (failed)
        {
            answers.Clear();
            additionals.Clear();
        }

        // Response, authoritative; SERVFAIL when asked, NXDOMAIN when unknown.
        response.AddRange(U16((ushort)(0x8400 | (failed ? 2 : known ? 0 : 3))));
        response.AddRange(U16(1));
        response.AddRange(U16((ushort)answers.Count));
        response.AddRange(U16(0));
        response.AddRange(U16((ushort)additionals.Count));
        response.AddRange(query.AsSpan(12, questionEnd - 12).ToArray());
        foreach (var record in answers.Concat(additionals))
        {
            response.AddRange(record);
        }

        return [.. response];
    }

    private static byte[] AddressRecord(byte[] name, IPAddress address)
        => Record(name, address.AddressFamily == AddressFamily.InterNetwork ? (ushort)1 : (ushort)28, address.GetAddressBytes());

    private static byte[] Record(byte[] name, ushort type, byte[] rdata)
    {
        var record = new List<byte>(name);
        record.AddRange(U16(type));
        record.AddRange(U16(1)); // IN
        record.AddRange([0, 0, 0, 5]); // TTL 5 s
        record.AddRange(U16((ushort)rdata.Length));
        record.AddRange(rdata);
        return [.. record];
    }

    private static byte[] U16(ushort value) => [(byte)(value >> 8), (byte)value];

    private static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    private static string ReadName(byte[] message, ref int offset)
    {
        var labels = new List<string>();
        while (message[offset] != 0)
        {
            var length = message[offset++];
            labels.Add(Encoding.ASCII.GetString(message, offset, length));
            offset += length;
        }

        offset++;
        return string.Join('.', labels);
    }
}
