using System.Collections.Concurrent;

namespace Kedge.Client.Internal;

/// <summary>
/// A thread-safe memo for pure functions on the hot path. When full it starts over, which keeps memory bounded
/// when callers send unbounded sets of names, at the cost of recomputing the entries that are still in use.
/// </summary>
internal sealed class BoundedCache<TKey, TValue>
    where TKey : notnull
{
    private readonly int _capacity;
    private readonly ConcurrentDictionary<TKey, TValue> _entries;

    public BoundedCache(int capacity, IEqualityComparer<TKey> comparer)
    {
        _capacity = capacity;
        _entries = new ConcurrentDictionary<TKey, TValue>(comparer);
    }

    public bool TryGetValue(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public void Set(TKey key, TValue value)
    {
        if (_entries.Count >= _capacity)
        {
            _entries.Clear();
        }

        _entries[key] = value;
    }
}
