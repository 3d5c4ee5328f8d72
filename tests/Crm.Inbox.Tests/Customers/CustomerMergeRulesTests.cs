using System.Text.Json;
using Crm.Contracts;
using Crm.Inbox.Customers;
using Crm.Inbox.Timelines;

namespace Crm.Inbox.Tests.Customers;

public sealed class CustomerMergeRulesTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Only_fields_set_differently_on_both_are_conflicts_and_lists_never_are()
    {
        var survivor = new CustomerProfileFields
        {
            Name = "Ana", Company = "Acme", Phones = [new ContactPhone("+14155550100", true)],
            Attributes = new Dictionary<string, JsonElement> { ["plan"] = Json("\"gold\""), ["seats"] = Json("3") },
        };
        var merged = new CustomerProfileFields
        {
            Name = "Ana Lima", Company = "Acme", Notes = "VIP", Phones = [new ContactPhone("+14155550199", false)],
            Attributes = new Dictionary<string, JsonElement> { ["plan"] = Json("\"silver\""), ["since"] = Json("\"2020-01-01\"") },
        };

        Assert.Equal([new MergeConflict("name", "Ana", "Ana Lima"), new MergeConflict("attribute.plan", "gold", "silver")],
            CustomerMergeRules.Conflicts(survivor, merged));
    }

    [Fact]
    public void Combining_keeps_one_sided_values_takes_the_choices_and_unites_phones_and_emails()
    {
        var survivor = new CustomerProfileFields
        {
            Name = "Ana", Phones = [new ContactPhone("+14155550100", false)], Emails = [new ContactEmail("Ana@Example.com", false)],
            Attributes = new Dictionary<string, JsonElement> { ["plan"] = Json("\"gold\"") },
        };
        var merged = new CustomerProfileFields
        {
            Name = "Ana Lima", Notes = "VIP", Phones = [new ContactPhone("+14155550100", true), new ContactPhone("+8613800138000", false)],
            Emails = [new ContactEmail("ana@example.com", true)],
            Attributes = new Dictionary<string, JsonElement> { ["plan"] = Json("\"silver\""), ["seats"] = Json("3") },
        };

        var combined = CustomerMergeRules.Combine(survivor, merged, new Dictionary<string, string> { ["name"] = "merged", ["attribute.plan"] = "survivor" });

        Assert.Equal(("Ana Lima", "VIP"), (combined.Name, combined.Notes));
        Assert.Equal([new ContactPhone("+14155550100", true), new ContactPhone("+8613800138000", false)], combined.Phones);
        Assert.Equal([new ContactEmail("Ana@Example.com", true)], combined.Emails);
        Assert.Equal(["gold", "3"], new[] { combined.Attributes["plan"].ToString(), combined.Attributes["seats"].GetRawText() });
    }

    [Fact]
    public void A_conflict_is_unchosen_until_its_choice_is_survivor_or_merged()
    {
        var conflicts = new[] { new MergeConflict("name", "a", "b"), new MergeConflict("company", "c", "d") };

        Assert.Equal([conflicts[1]], CustomerMergeRules.Unchosen(conflicts, new Dictionary<string, string> { ["name"] = "survivor", ["company"] = "both" }));
    }

    [Theory]
    [InlineData("+5215512345678", "+525512345678")]
    [InlineData("+5491123456789", "+541123456789")]
    [InlineData("+553187654321", "+5531987654321")]
    public void Whatsapps_national_spellings_of_one_number_are_variants(string spelling, string canonical)
    {
        Assert.Equal(canonical, WhatsAppPhoneVariants.Canonical(spelling));
        Assert.True(WhatsAppPhoneVariants.AreVariants(spelling, canonical));
    }

    [Theory]
    [InlineData("+551132654321")]
    [InlineData("+14155550100")]
    [InlineData("bsuid:US.1234")]
    [InlineData("+52abc")]
    public void Landlines_other_countries_and_non_numbers_are_their_own_spelling(string value)
        => Assert.Equal(value, WhatsAppPhoneVariants.Canonical(value));

    [Fact]
    public void The_same_verified_email_or_phone_is_a_reason_an_unverified_one_is_not_and_a_variant_always_is()
    {
        var whatsApp = CustomerMergeRules.MatchKeys(new CustomerProfileFields(), [new ChannelIdentity(Channels.WhatsApp, "+5531987654321")]);
        var typed = CustomerMergeRules.MatchKeys(new CustomerProfileFields
        {
            Phones = [new ContactPhone("+553187654321", false), new ContactPhone("+14155550100", false)],
            Emails = [new ContactEmail(" Ana@Example.com", true)],
        }, [new ChannelIdentity(Channels.WeChat, "oAna")]);
        var other = CustomerMergeRules.MatchKeys(new CustomerProfileFields
        {
            Phones = [new ContactPhone("+14155550100", false)],
            Emails = [new ContactEmail("ana@example.com", true)],
        }, []);

        Assert.Equal([new MatchReason(MatchKinds.WhatsAppVariant, "+553187654321", "+5531987654321")], CustomerMergeRules.Reasons(typed, whatsApp));
        Assert.Equal([new MatchReason(MatchKinds.VerifiedEmail, "ana@example.com", "ana@example.com")], CustomerMergeRules.Reasons(typed, other));
        Assert.True(CustomerMergeRules.AllowsAutomaticMerge(CustomerMergeRules.Reasons(typed, other)));
        Assert.False(CustomerMergeRules.AllowsAutomaticMerge(CustomerMergeRules.Reasons(typed, whatsApp)));
    }
}
