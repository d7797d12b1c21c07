namespace Kedge.Server.Dashboard;

/// <summary>
/// The last <see cref="Capacity"/> configuration changes (applied or rejected), newest last, plus the last good and the
/// last rejected one even when they have scrolled out of the ring. Written by <see cref="Management.KedgeRuntime"/> once
/// per change; read by the dashboard. A lock is fine: neither side is on the request path.
/// </summary>
internal sealed class ReloadHistory
{
    public const int Capacity = 20;

    private readonly Lock _lock = new();
    private readonly Queue<ReloadRecord> _records = new(Capacity);
    private ReloadRecord? _lastGood;
    private ReloadRecord? _lastError;

    public void Add(ReloadRecord record)
    {
        lock (_lock)
        {
            if (_records.Count == Capacity)
            {
                _records.Dequeue();
            }

            _records.Enqueue(record);
            if (record.Applied)
            {
                _lastGood = record;
            }
            else
            {
                _lastError = record;
            }
        }
    }

    public (IReadOnlyList<ReloadRecord> Records, ReloadRecord? LastGood, ReloadRecord? LastError) Read()
    {
        lock (_lock)
        {
            return ([.. _records], _lastGood, _lastError);
        }
    }
}
