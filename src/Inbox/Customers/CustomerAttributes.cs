namespace Crm.Inbox.Customers;

/// <summary>The types a workspace can give its customer attributes; the names are what the API and the stores use.</summary>
public static class AttributeTypes
{
    public const string Text = "text";
    public const string Number = "number";
    public const string Date = "date";
    public const string Boolean = "boolean";
    public const string Choice = "choice";
    public const string MultiChoice = "multi-choice";
    public const string Url = "url";

    public static readonly IReadOnlyList<string> All = [Text, Number, Date, Boolean, Choice, MultiChoice, Url];

    public static bool HasOptions(string type) => type is Choice or MultiChoice;
}

/// <summary>
/// A typed field a workspace defines for its customers. <see cref="Key"/> names the value on every profile
/// (<c>attributes.{key}</c>) and in segments, so it never changes; nor does <see cref="Type"/>, which would make stored
/// values wrong. <see cref="Options"/> are the choices of a choice or multi-choice attribute, empty otherwise.
/// </summary>
public sealed record CustomerAttributeDefinition(Guid Id, Guid WorkspaceId, string Key, string Label, string Type, IReadOnlyList<string> Options,
    int Position, DateTimeOffset CreatedAt);

public enum DefinitionChangeOutcome
{
    Changed,
    NotFound,

    /// <summary>Customers still hold what the change would take away: nothing was changed.</summary>
    InUse,
}

/// <summary>
/// What a change to a definition did. <see cref="HeldBy"/> says, when <see cref="Outcome"/> is InUse, how many customers
/// hold each value (an option, or the key itself for a deletion) that stopped it.
/// </summary>
public sealed record DefinitionChangeResult(DefinitionChangeOutcome Outcome, CustomerAttributeDefinition? Definition,
    IReadOnlyDictionary<string, long> HeldBy)
{
    public static DefinitionChangeResult NotFound { get; } = new(DefinitionChangeOutcome.NotFound, null, new Dictionary<string, long>());
}

/// <summary>
/// A workspace's customer attribute definitions. Keys are unique within a workspace whatever their case. A change that
/// would orphan customers' values (deleting a definition they have values for, removing an option they hold) is refused
/// in the same transaction that counts them, so no value is ever silently lost.
/// </summary>
public interface ICustomerAttributeDefinitionStore
{
    /// <summary>The workspace's definitions by position, then key.</summary>
    Task<IReadOnlyList<CustomerAttributeDefinition>> ListAttributeDefinitionsAsync(Guid workspaceId, CancellationToken ct = default);

    /// <summary>The definition of <paramref name="key"/>, whatever its case; null when the workspace has none.</summary>
    Task<CustomerAttributeDefinition?> GetAttributeDefinitionAsync(Guid workspaceId, string key, CancellationToken ct = default);

    /// <summary>Adds the definition; null when the workspace already has that key (in any case).</summary>
    Task<CustomerAttributeDefinition?> AddAttributeDefinitionAsync(CustomerAttributeDefinition definition, CancellationToken ct = default);

    /// <summary>
    /// Changes the label, options and position (never the key or the type). Refused (InUse) when an option that is no
    /// longer listed (compared case-insensitively) is held by a customer.
    /// </summary>
    Task<DefinitionChangeResult> UpdateAttributeDefinitionAsync(Guid workspaceId, string key, string label, IReadOnlyList<string> options, int position,
        CancellationToken ct = default);

    /// <summary>Deletes the definition; refused (InUse) while any customer of the workspace has a value for it.</summary>
    Task<DefinitionChangeResult> DeleteAttributeDefinitionAsync(Guid workspaceId, string key, CancellationToken ct = default);
}
