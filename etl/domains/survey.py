"""Survey responses: residents' coded answers to a satisfaction survey, one row per answer.

Survey files are wide (one column per question item, answers coded 1-5, 9 = Don't know), so
they load by unpivoting the question columns and decoding question and answer through the
survey's data dictionary.
"""

from etl.domains import Column, Domain

DOMAIN = Domain(
    name="survey",
    table="survey_responses",
    columns=(
        Column("survey", "VARCHAR", "Which survey (and wave) the answer belongs to", True),
        Column("respondent_id", "VARCHAR", "Response record; in a file weighted by repeating "
               "rows this is a weighted record, not a person", True),
        Column("question_id", "VARCHAR", "Question item as the survey numbers it, e.g. Q1_1",
               True),
        Column("question", "VARCHAR", "Question text, from the survey's data dictionary"),
        Column("answer_code", "SMALLINT", "Answer as coded in the file (e.g. 5 = Excellent, "
               "9 = Don't know)", True),
        Column("answer", "VARCHAR", "Answer label, from the survey's data dictionary"),
        Column("district", "VARCHAR", "Respondent's council district"),
        Column("weight", "DOUBLE", "Survey weight of the record, when the file has one",
               minimum=0),
    ),
    key=("survey", "respondent_id", "question_id"),
)
