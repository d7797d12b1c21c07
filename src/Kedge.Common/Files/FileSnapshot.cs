namespace Kedge.Common.Files;

/// <summary>
/// The parsed content of one or more files, re-read when the files change on disk. Changes are detected by content,
/// not by timestamps or inotify, so Kubernetes' secret-volume updates (an atomic swap of the <c>..data</c> symlink) and
/// edits that keep the modification time are both seen. The files are read at most once per check interval; a read or
/// parse failure keeps the last good value, is reported to <c>onReloadFailed</c> and is retried at the next interval, so a
/// half-written update never fails a call. Infrastructure shared by the kedge products (kedge, winch, Kedge.Client).
/// </summary>
/// <remarks>
/// The parsed value is published only once <c>parse</c> has returned, so a parser can finish every lazy initialisation
/// (see <see cref="Tls.TlsCertificate"/>) before readers on other threads see the value.
/// </remarks>
/// <typeparam name="T">The parsed value.</typeparam>
public sealed class FileSnapshot<T>
    where T : class
{
    private readonly string[] _paths;
    private readonly Func<byte[][], T> _parse;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _timeProvider;
    private readonly Action<T>? _onChanged;
    private readonly Action<Exception>? _onReloadFailed;
    private readonly Lock _gate = new();
    private volatile State? _state;

    /// <summary>Creates a snapshot of <paramref name="paths"/>; nothing is read until <see cref="GetCurrent"/>.</summary>
    /// <param name="paths">The files, read together and handed to <paramref name="parse"/> in this order.</param>
    /// <param name="parse">Turns the files' bytes into the value; throws when they are not valid.</param>
    /// <param name="checkInterval">How long a read stays current before the files are read again.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="onChanged">Called with the new value when the files changed and parsed (not at the first read).</param>
    /// <param name="onReloadFailed">Called when the files changed but could not be read or parsed; the last good value stays.</param>
    public FileSnapshot(
        IReadOnlyList<string> paths,
        Func<byte[][], T> parse,
        TimeSpan checkInterval,
        TimeProvider timeProvider,
        Action<T>? onChanged = null,
        Action<Exception>? onReloadFailed = null)
    {
        _paths = [.. paths];
        _parse = parse;
        _checkInterval = checkInterval;
        _timeProvider = timeProvider;
        _onChanged = onChanged;
        _onReloadFailed = onReloadFailed;
    }

    /// <summary>The files this snapshot reads.</summary>
    public IReadOnlyList<string> Paths => _paths;

    /// <summary>Returns the current value, re-reading the files if the check interval has passed.</summary>
    /// <exception cref="IOException">The files were never read successfully (the message names them).</exception>
    public T GetCurrent()
    {
        var state = _state;
        if (state is not null && _timeProvider.GetElapsedTime(state.CheckedAt) < _checkInterval)
        {
            return state.Value;
        }

        // One caller refreshes; the others keep using the current value rather than wait for the file system.
        if (state is not null && !_gate.TryEnter())
        {
            return state.Value;
        }

        if (state is null)
        {
            _gate.Enter();
        }

        try
        {
            state = _state;
            if (state is not null && _timeProvider.GetElapsedTime(state.CheckedAt) < _checkInterval)
            {
                return state.Value;
            }

            return Refresh(state);
        }
        finally
        {
            _gate.Exit();
        }
    }

    private T Refresh(State? previous)
    {
        var now = _timeProvider.GetTimestamp();
        byte[][] contents;
        T value;
        try
        {
            contents = new byte[_paths.Length][];
            for (var i = 0; i < _paths.Length; i++)
            {
                contents[i] = File.ReadAllBytes(_paths[i]);
            }

            if (previous is not null && SameContents(previous.Contents, contents))
            {
                _state = previous with { CheckedAt = now };
                return previous.Value;
            }

            value = _parse(contents);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (previous is null)
            {
                throw new IOException($"Could not load {string.Join(" and ", _paths.Select(p => $"'{p}'"))}: {ex.Message}", ex);
            }

            _onReloadFailed?.Invoke(ex);
            _state = previous with { CheckedAt = now };
            return previous.Value;
        }

        _state = new State(value, contents, now);
        if (previous is not null)
        {
            _onChanged?.Invoke(value);
        }

        return value;
    }

    private static bool SameContents(byte[][] a, byte[][] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (!a[i].AsSpan().SequenceEqual(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private sealed record State(T Value, byte[][] Contents, long CheckedAt);
}
