using System.Collections.Immutable;

namespace Kedge.Server.Management;

/// <summary>An immutable list that compares by its items, so records holding lists compare by value.</summary>
internal sealed class EquatableList<T>(IEnumerable<T> items) : IEquatable<EquatableList<T>>
{
    private readonly ImmutableArray<T> _items = [.. items];

    public IReadOnlyList<T> Items => _items;

    public bool Equals(EquatableList<T>? other) => other is not null && _items.SequenceEqual(other._items);

    public override bool Equals(object? obj) => Equals(obj as EquatableList<T>);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }
}
