package domain

import (
	"encoding/json"
	"fmt"
)

// Event is the data of one domain event. Its type string is stored in the
// log with every event and never changes; a changed shape gets a new schema
// version and an upcast in DecodeEvent, never a rewrite of stored bytes.
type Event interface {
	EventType() string
}

// SchemaVersion is the schema version written with every event today.
const SchemaVersion = 1

// Stored event type strings. These are stored in the log: never change one.
const (
	EvCommunityRegistered  = "community.registered"
	EvOfficerAppointed     = "community.officer_appointed"
	EvOfficerRemoved       = "community.officer_removed"
	EvRuleSetAdopted       = "community.rule_set_adopted"
	EvContactsSet          = "community.contacts_set"
	EvMatterRegistered     = "matter.registered"
	EvMatterProposed       = "matter.proposed"
	EvMatterConsulted      = "matter.consulted"
	EvMatterReviewed       = "matter.reviewed"
	EvMatterResolved       = "matter.resolved"
	EvResolutionDisclosed  = "matter.resolution_disclosed"
	EvImplementationReport = "matter.implementation_reported"
	EvResultDisclosed      = "matter.result_disclosed"
	EvMatterWithdrawn      = "matter.withdrawn"
	EvMatterRevoked        = "matter.revoked"
	EvStageCorrected       = "matter.stage_corrected"
)

// DecodeEvent decodes a stored event's data. Unknown types are an error;
// older schema versions are upcast here (there are none yet).
func DecodeEvent(typ string, schema int, data []byte) (Event, error) {
	if schema != SchemaVersion {
		return nil, fmt.Errorf("event %s: unknown schema version %d", typ, schema)
	}
	var e Event
	switch typ {
	case EvCommunityRegistered:
		e = &CommunityRegistered{}
	case EvOfficerAppointed:
		e = &OfficerAppointed{}
	case EvOfficerRemoved:
		e = &OfficerRemoved{}
	case EvRuleSetAdopted:
		e = &RuleSetAdopted{}
	case EvMatterRegistered:
		e = &MatterRegistered{}
	case EvMatterProposed:
		e = &MatterProposed{}
	case EvMatterConsulted:
		e = &MatterConsulted{}
	case EvMatterReviewed:
		e = &MatterReviewed{}
	case EvMatterResolved:
		e = &MatterResolved{}
	case EvResolutionDisclosed:
		e = &ResolutionDisclosed{}
	case EvImplementationReport:
		e = &ImplementationReported{}
	case EvResultDisclosed:
		e = &ResultDisclosed{}
	case EvMatterWithdrawn:
		e = &MatterWithdrawn{}
	case EvMatterRevoked:
		e = &MatterRevoked{}
	case EvStageCorrected:
		e = &StageCorrected{}
	case EvBudgetAdopted:
		e = &BudgetAdopted{}
	case EvBudgetAdjusted:
		e = &BudgetAdjusted{}
	case EvFundsReceived:
		e = &FundsReceived{}
	case EvChartAdopted:
		e = &ChartAdopted{}
	case EvVoucherPosted:
		e = &VoucherPosted{}
	case EvVoucherReversed:
		e = &VoucherReversed{}
	case EvCorrectionPosted:
		e = &CorrectionPosted{}
	case EvBalanceAsserted:
		e = &BalanceAsserted{}
	case EvMonthClosed:
		e = &MonthClosed{}
	case EvYearClosed:
		e = &YearClosed{}
	case EvAccountDefined:
		e = &AccountDefined{}
	case EvBalancesOpened:
		e = &BalancesOpened{}
	case EvChartTransitioned:
		e = &ChartTransitioned{}
	case EvAssetRegistered:
		e = &AssetRegistered{}
	case EvDepreciationPosted:
		e = &DepreciationPosted{}
	case EvAssetDisposed:
		e = &AssetDisposed{}
	case EvAccountCreated:
		e = &AccountCreated{}
	case EvPasswordSet:
		e = &PasswordSet{}
	case EvRoleGranted:
		e = &RoleGranted{}
	case EvRoleRevoked:
		e = &RoleRevoked{}
	case EvAccountDisabled:
		e = &AccountDisabled{}
	case EvAccountEnabled:
		e = &AccountEnabled{}
	case EvSessionEnded:
		e = &SessionEnded{}
	case EvTokenIssued:
		e = &TokenIssued{}
	case EvTokenRevoked:
		e = &TokenRevoked{}
	case EvContactsSet:
		e = &ContactsSet{}
	case EvDisclosureDrafted:
		e = &DisclosureDrafted{}
	case EvDisclosureApproved:
		e = &DisclosureApproved{}
	case EvDisclosureReturned:
		e = &DisclosureReturned{}
	case EvDisclosurePublished:
		e = &DisclosurePublished{}
	case EvQuestionAsked:
		e = &QuestionAsked{}
	case EvQuestionAnswered:
		e = &QuestionAnswered{}
	case EvEvaluationPlanPublished:
		e = &EvaluationPlanPublished{}
	case EvScoreEntered:
		e = &ScoreEntered{}
	case EvAppraisalRecorded:
		e = &AppraisalRecorded{}
	case EvEvaluationClosed:
		e = &EvaluationClosed{}
	default:
		return nil, fmt.Errorf("unknown event type %q", typ)
	}
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("event %s: %w", typ, err)
	}
	return e, nil
}
