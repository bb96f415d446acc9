"""The forms and the slots Rasa fills on every message. One module per form (or family of forms that
ask the same slots): its validation action (`validate_<form>`) and the actions that ask for its slots
(`action_ask_<slot>`), beside each other; `slot_mappings` runs after every message, `answers` finds an
answer inside a sentence, `confirmation` reads a yes or no at a confirmation question. How a question is
asked (again, or not at all) is actions/questions.py; the words are actions/messages.py."""
