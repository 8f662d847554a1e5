package main

import (
	"fmt"

	googlesql "github.com/goccy/go-googlesql"
)

// bigQueryFeatures are the GoogleSQL language features BigQuery has, as
// far as its public reference tells. The list starts from the one Google's
// zetasql-toolkit keeps for BigQuery (GoogleCloudPlatform/zetasql-toolkit,
// BigQueryLanguageOptions) and departs from it where BigQuery's reference
// says otherwise (README.md, "How close to BigQuery"): TIMESTAMP_NANOS, the
// MAP and MEASURE types and braced constructors are left out; GROUP BY of
// STRUCT and ARRAY, the RANGE type, pipe syntax and the newer JSON
// functions (lax converters, constructors, mutators, JSON_KEYS,
// JSON_FLATTEN) are added. Every other feature stays off.
var bigQueryFeatures = []googlesql.LanguageFeature{
	googlesql.LanguageFeatureFeatureAllowMissingPathExpressionInAlterDdl,
	googlesql.LanguageFeatureFeatureAlterColumnSetDataType,
	googlesql.LanguageFeatureFeatureAlterTableRenameColumn,
	googlesql.LanguageFeatureFeatureAnalyticFunctions,
	googlesql.LanguageFeatureFeatureAnonymization,
	googlesql.LanguageFeatureFeatureBignumericType,
	googlesql.LanguageFeatureFeatureCbrtFunctions,
	googlesql.LanguageFeatureFeatureCreateExternalTableWithConnection,
	googlesql.LanguageFeatureFeatureCreateExternalTableWithPartitionColumns,
	googlesql.LanguageFeatureFeatureCreateExternalTableWithTableElementList,
	googlesql.LanguageFeatureFeatureCreateMaterializedViewClusterBy,
	googlesql.LanguageFeatureFeatureCreateMaterializedViewPartitionBy,
	googlesql.LanguageFeatureFeatureCreateSnapshotTable,
	googlesql.LanguageFeatureFeatureCreateTableAsSelectColumnList,
	googlesql.LanguageFeatureFeatureCreateTableClone,
	googlesql.LanguageFeatureFeatureCreateTableClusterBy,
	googlesql.LanguageFeatureFeatureCreateTableCopy,
	googlesql.LanguageFeatureFeatureCreateTableFieldAnnotations,
	googlesql.LanguageFeatureFeatureCreateTableFunction,
	googlesql.LanguageFeatureFeatureCreateTableLike,
	googlesql.LanguageFeatureFeatureCreateTableNotNull,
	googlesql.LanguageFeatureFeatureCreateTablePartitionBy,
	googlesql.LanguageFeatureFeatureCreateViewWithColumnList,
	googlesql.LanguageFeatureFeatureDmlUpdateWithJoin,
	googlesql.LanguageFeatureFeatureEncryption,
	googlesql.LanguageFeatureFeatureForeignKeys,
	googlesql.LanguageFeatureFeatureGeography,
	googlesql.LanguageFeatureFeatureGroupByRollup,
	googlesql.LanguageFeatureFeatureIntervalType,
	googlesql.LanguageFeatureFeatureInverseTrigFunctions,
	googlesql.LanguageFeatureFeatureJsonArrayFunctions,
	googlesql.LanguageFeatureFeatureJsonType,
	googlesql.LanguageFeatureFeatureJsonValueExtractionFunctions,
	googlesql.LanguageFeatureFeatureNamedArguments,
	googlesql.LanguageFeatureFeatureNumericType,
	googlesql.LanguageFeatureFeatureParameterizedTypes,
	googlesql.LanguageFeatureFeatureParametersInGranteeList,
	googlesql.LanguageFeatureFeatureRoundWithRoundingMode,
	googlesql.LanguageFeatureFeatureTablesample,
	googlesql.LanguageFeatureFeatureTableValuedFunctions,
	googlesql.LanguageFeatureFeatureTemplateFunctions,
	googlesql.LanguageFeatureFeatureTimeBucketFunctions,
	googlesql.LanguageFeatureFeatureUnenforcedPrimaryKeys,
	googlesql.LanguageFeatureFeatureV11HavingInAggregate,
	googlesql.LanguageFeatureFeatureV11LimitInAggregate,
	googlesql.LanguageFeatureFeatureV11NullHandlingModifierInAggregate,
	googlesql.LanguageFeatureFeatureV11NullHandlingModifierInAnalytic,
	googlesql.LanguageFeatureFeatureV11OrderByInAggregate,
	googlesql.LanguageFeatureFeatureV11SelectStarExceptReplace,
	googlesql.LanguageFeatureFeatureV11WithOnSubquery,
	googlesql.LanguageFeatureFeatureV12CivilTime,
	googlesql.LanguageFeatureFeatureV12GroupByArray,
	googlesql.LanguageFeatureFeatureV12GroupByStruct,
	googlesql.LanguageFeatureFeatureV12SafeFunctionCall,
	googlesql.LanguageFeatureFeatureV12WeekWithWeekday,
	googlesql.LanguageFeatureFeatureV13AdditionalStringFunctions,
	googlesql.LanguageFeatureFeatureV13AllowDashesInTableName,
	googlesql.LanguageFeatureFeatureV13AllowRegexpExtractOptionals,
	googlesql.LanguageFeatureFeatureV13AnnotationFramework,
	googlesql.LanguageFeatureFeatureV13CaseStmt,
	googlesql.LanguageFeatureFeatureV13CollationSupport,
	googlesql.LanguageFeatureFeatureV13ColumnDefaultValue,
	googlesql.LanguageFeatureFeatureV13ConcatMixedTypes,
	googlesql.LanguageFeatureFeatureV13DateArithmetics,
	googlesql.LanguageFeatureFeatureV13DateTimeConstructors,
	googlesql.LanguageFeatureFeatureV13DecimalAlias,
	googlesql.LanguageFeatureFeatureV13ExtendedDateTimeSignatures,
	googlesql.LanguageFeatureFeatureV13ExtendedGeographyParsers,
	googlesql.LanguageFeatureFeatureV13FormatInCast,
	googlesql.LanguageFeatureFeatureV13ForIn,
	googlesql.LanguageFeatureFeatureV13IsDistinct,
	googlesql.LanguageFeatureFeatureV13LikeAnySomeAll,
	googlesql.LanguageFeatureFeatureV13NullsFirstLastInOrderBy,
	googlesql.LanguageFeatureFeatureV13OmitInsertColumnList,
	googlesql.LanguageFeatureFeatureV13Pivot,
	googlesql.LanguageFeatureFeatureV13Qualify,
	googlesql.LanguageFeatureFeatureV13RemoteFunction,
	googlesql.LanguageFeatureFeatureV13Repeat,
	googlesql.LanguageFeatureFeatureV13ScriptLabel,
	googlesql.LanguageFeatureFeatureV13UnnestAndFlattenArrays,
	googlesql.LanguageFeatureFeatureV13Unpivot,
	googlesql.LanguageFeatureFeatureV13WithGroupRows,
	googlesql.LanguageFeatureFeatureV13WithRecursive,
	googlesql.LanguageFeatureFeatureV14ArrayAggregationFunctions,
	googlesql.LanguageFeatureFeatureV14ArrayFindFunctions,
	googlesql.LanguageFeatureFeatureV14ArrayZip,
	googlesql.LanguageFeatureFeatureV14BareArrayAccess,
	googlesql.LanguageFeatureFeatureV14CollationInExplicitCast,
	googlesql.LanguageFeatureFeatureV14CollationInWithRecursive,
	googlesql.LanguageFeatureFeatureV14Corresponding,
	googlesql.LanguageFeatureFeatureV14CorrespondingFull,
	googlesql.LanguageFeatureFeatureV14CreateFunctionLanguageWithConnection,
	googlesql.LanguageFeatureFeatureV14CreateModelWithAliasedQueryList,
	googlesql.LanguageFeatureFeatureV14DisableFloat32,
	googlesql.LanguageFeatureFeatureV14DotProduct,
	googlesql.LanguageFeatureFeatureV14EnableEditDistanceBytes,
	googlesql.LanguageFeatureFeatureV14EnableFloatDistanceFunctions,
	googlesql.LanguageFeatureFeatureV14EnforceConditionalEvaluation,
	googlesql.LanguageFeatureFeatureV14FirstAndLastN,
	googlesql.LanguageFeatureFeatureV14GroupByAll,
	googlesql.LanguageFeatureFeatureV14GroupingBuiltin,
	googlesql.LanguageFeatureFeatureV14GroupingSets,
	googlesql.LanguageFeatureFeatureV14JsonArrayValueExtractionFunctions,
	googlesql.LanguageFeatureFeatureV14JsonMoreValueExtractionFunctions,
	googlesql.LanguageFeatureFeatureV14L1Norm,
	googlesql.LanguageFeatureFeatureV14L2Norm,
	googlesql.LanguageFeatureFeatureV14LikeAnySomeAllArray,
	googlesql.LanguageFeatureFeatureV14LikeAnySomeAllSubquery,
	googlesql.LanguageFeatureFeatureV14LimitOffsetExpressions,
	googlesql.LanguageFeatureFeatureV14LiteralConcatenation,
	googlesql.LanguageFeatureFeatureV14LoadDataPartitions,
	googlesql.LanguageFeatureFeatureV14LoadDataTempTable,
	googlesql.LanguageFeatureFeatureV14ManhattanDistance,
	googlesql.LanguageFeatureFeatureV14MultiwayUnnest,
	googlesql.LanguageFeatureFeatureV14NullifzeroZeroifnull,
	googlesql.LanguageFeatureFeatureV14PiFunctions,
	googlesql.LanguageFeatureFeatureV14PreserveAnnotationInImplicitCastInScan,
	googlesql.LanguageFeatureFeatureV14RemoteModel,
	googlesql.LanguageFeatureFeatureV14SafeFunctionCallWithLambdaArgs,
	googlesql.LanguageFeatureFeatureV14SequenceArg,
	googlesql.LanguageFeatureFeatureV14SingleTableNameArrayPath,
	googlesql.LanguageFeatureFeatureV14SingletonUnnestInfersAlias,
	googlesql.LanguageFeatureFeatureV14StructPositionalAccessor,
	googlesql.LanguageFeatureFeatureV14UseOperationCollationForNullif,
	googlesql.LanguageFeatureFeatureV14WithRecursiveDepthModifier,
	googlesql.LanguageFeatureFeatureRangeType,
	googlesql.LanguageFeatureFeaturePipes,
	googlesql.LanguageFeatureFeatureJsonLaxValueExtractionFunctions,
	googlesql.LanguageFeatureFeatureJsonConstructorFunctions,
	googlesql.LanguageFeatureFeatureJsonMutatorFunctions,
	googlesql.LanguageFeatureFeatureJsonKeysFunction,
	googlesql.LanguageFeatureFeatureJsonFlattenFunction,
}

// bigQueryStatements are the statement kinds the check accepts: queries,
// DML, transactions and the DDL a model or a view could use. Scripting
// (DECLARE, SET, IF, BEGIN ... END blocks) is not analyzed by GoogleSQL's
// analyzer at all; see README.md.
var bigQueryStatements = []googlesql.ResolvedNodeKind{
	googlesql.ResolvedNodeKindResolvedQueryStmt,
	googlesql.ResolvedNodeKindResolvedInsertStmt,
	googlesql.ResolvedNodeKindResolvedUpdateStmt,
	googlesql.ResolvedNodeKindResolvedDeleteStmt,
	googlesql.ResolvedNodeKindResolvedMergeStmt,
	googlesql.ResolvedNodeKindResolvedTruncateStmt,
	googlesql.ResolvedNodeKindResolvedBeginStmt,
	googlesql.ResolvedNodeKindResolvedCommitStmt,
	googlesql.ResolvedNodeKindResolvedRollbackStmt,
	googlesql.ResolvedNodeKindResolvedCreateTableStmt,
	googlesql.ResolvedNodeKindResolvedCreateTableAsSelectStmt,
	googlesql.ResolvedNodeKindResolvedCreateViewStmt,
	googlesql.ResolvedNodeKindResolvedDropStmt,
	googlesql.ResolvedNodeKindResolvedAssertStmt,
}

// bigQueryLanguage returns GoogleSQL's language options set as close to
// BigQuery as this check knows: external product mode (no INT32, UINT64,
// FLOAT32 or PROTO types), bigQueryFeatures, bigQueryStatements, and
// QUALIFY a reserved keyword, as it is in BigQuery.
func bigQueryLanguage() (*googlesql.LanguageOptions, error) {
	lang, err := googlesql.NewLanguageOptions()
	if err != nil {
		return nil, fmt.Errorf("language options: %w", err)
	}
	if err := lang.SetProductMode(googlesql.ProductModeProductExternal); err != nil {
		return nil, fmt.Errorf("product mode: %w", err)
	}
	if err := lang.DisableAllLanguageFeatures(); err != nil {
		return nil, fmt.Errorf("disable features: %w", err)
	}
	for _, f := range bigQueryFeatures {
		if err := lang.EnableLanguageFeature(f); err != nil {
			return nil, fmt.Errorf("enable %v: %w", f, err)
		}
	}
	if err := lang.SetSupportedStatementKinds(bigQueryStatements); err != nil {
		return nil, fmt.Errorf("statement kinds: %w", err)
	}
	if err := lang.EnableReservableKeyword("QUALIFY", true); err != nil {
		return nil, fmt.Errorf("reserve QUALIFY: %w", err)
	}
	return lang, nil
}
