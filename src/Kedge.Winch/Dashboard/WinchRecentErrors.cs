using System.Globalization;
using Kedge.Common;

namespace Kedge.Winch.Dashboard;

/// <summary>
/// The last <see cref="Capacity"/> requests winch could not proxy, or that kedge refused, for the dashboard. A bounded
/// ring: the oldest entry goes when a new one comes.
/// </summary>
internal sealed class WinchRecentErrors(TimeProvider timeProvider)
{
    public const int Capacity = 20;

    private readonly Lock _gate = new();
    private readonly Queue<WinchRecentError> _errors = new(Capacity);

    /// <summary>A failure in winch itself (its <c>X-Winch-Error-Type</c> and message).</summary>
    public void Add(string target, string type, string message)
    {
        var entry = new WinchRecentError(timeProvider.GetUtcNow(), target, type, message);
        lock (_gate)
        {
            if (_errors.Count == Capacity)
            {
                _errors.Dequeue();
            }

            _errors.Enqueue(entry);
        }
    }

    /// <summary>The type stored for a kedge error whose type header is missing or not one winch knows.</summary>
    public const string UnknownKedgeErrorType = "unknown";

    /// <summary>
    /// An error answer from kedge. The type and message come from the shared vocabulary (<see cref="KedgeErrorKind"/>),
    /// never kedge's header text: the page shows no header values, so an unknown type is stored as
    /// <see cref="UnknownKedgeErrorType"/>.
    /// </summary>
    public void AddKedgeError(string target, int status, string? errorType)
    {
        var kind = KedgeErrorKind.Find(errorType);
        var meaning = kind?.Meaning ?? "kedge reported an error of a type this winch does not know.";
        Add(target, kind?.Name ?? UnknownKedgeErrorType, string.Create(CultureInfo.InvariantCulture, $"kedge answered {status}: {meaning}"));
    }

    /// <summary>The entries, newest first.</summary>
    public IReadOnlyList<WinchRecentError> Snapshot()
    {
        lock (_gate)
        {
            return [.. _errors.Reverse()];
        }
    }
}
